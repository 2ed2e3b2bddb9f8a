import type { NetworkConfigOptions } from '../../../src/controllers/network/config-sources.js';
import {
  type AnyControllerDefinition,
  createRuntime,
  createState,
  type Runtime,
  type State,
} from '../../../src/index.js';
import { networkConfigControllers, networkMergeControllers } from '../../../src/node/node-controllers.js';
import { parseMachineConfig } from '../../../src/resources/config/load-config.js';
import { activeMachineConfigId, MachineConfigs } from '../../../src/resources/config/machine-config.js';
import { LinkStatuses } from '../../../src/resources/network/link-status.js';
import type { AnyResourceDefinition } from '../../../src/runtime/resource/define-resource.js';
import { createVirtualClock, type VirtualClock } from '../../../src/testing/index.js';

/** The network config controllers (with the device config controller), as the node registers them. */
export function configControllers(options: NetworkConfigOptions = {}): AnyControllerDefinition[] {
  return networkConfigControllers(options);
}

/** The seven network merge controllers, as the node registers them. */
export function mergeControllers(): AnyControllerDefinition[] {
  return networkMergeControllers();
}

/** A state and a runtime on a virtual clock. */
export interface NetHarness {
  readonly clock: VirtualClock;
  readonly state: State;
  readonly runtime: Runtime;
}

/** Starts a runtime on a virtual clock with the given controllers. */
export async function startHarness(controllers: readonly AnyControllerDefinition[]): Promise<NetHarness> {
  const clock = createVirtualClock();
  const state = createState({ clock });
  const runtime = createRuntime({ state, clock, random: () => 0.5 });
  for (const c of controllers) runtime.register(c);
  await runtime.start();
  return { clock, state, runtime };
}

/** Sets (creates or replaces) the active machine config from YAML. */
export async function applyConfig(state: State, yaml: string): Promise<void> {
  const config = parseMachineConfig(yaml);
  await state.modify(MachineConfigs.make(activeMachineConfigId, config), (d) => {
    d.spec = config;
  });
}

/** An observed physical ethernet link (or loopback for `lo`). */
export async function observeLink(state: State, name: string, mac = '02:00:00:00:00:01'): Promise<void> {
  const spec =
    name === 'lo'
      ? { type: 'loopback', operationalState: 'unknown' }
      : { type: 'ether', hardwareAddr: mac, operationalState: 'up', linkState: true };
  await state.create(LinkStatuses.make(name, spec));
}

/** The ids of a kind in a namespace. */
export async function ids(
  state: State,
  definition: AnyResourceDefinition,
  namespace: string,
): Promise<string[]> {
  return (await state.list(definition.kind(namespace))).map((r) => r.metadata.id);
}

/** The specs of a kind in a namespace, by id. */
export async function specs(
  state: State,
  definition: AnyResourceDefinition,
  namespace: string,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const r of await state.list(definition.kind(namespace))) out[r.metadata.id] = r.spec;
  return out;
}

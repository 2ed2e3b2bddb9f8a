import { addressConfigController } from '../../../src/controllers/network/address-config-controller.js';
import { addressMergeController } from '../../../src/controllers/network/address-merge-controller.js';
import type { NetworkConfigOptions } from '../../../src/controllers/network/config-sources.js';
import { deviceConfigController } from '../../../src/controllers/network/device-config-controller.js';
import { hostnameConfigController } from '../../../src/controllers/network/hostname-config-controller.js';
import { hostnameMergeController } from '../../../src/controllers/network/hostname-merge-controller.js';
import { linkConfigController } from '../../../src/controllers/network/link-config-controller.js';
import { linkMergeController } from '../../../src/controllers/network/link-merge-controller.js';
import { operatorConfigController } from '../../../src/controllers/network/operator-config-controller.js';
import { operatorMergeController } from '../../../src/controllers/network/operator-merge-controller.js';
import { resolverConfigController } from '../../../src/controllers/network/resolver-config-controller.js';
import { resolverMergeController } from '../../../src/controllers/network/resolver-merge-controller.js';
import { routeConfigController } from '../../../src/controllers/network/route-config-controller.js';
import { routeMergeController } from '../../../src/controllers/network/route-merge-controller.js';
import { timeServerConfigController } from '../../../src/controllers/network/time-server-config-controller.js';
import { timeServerMergeController } from '../../../src/controllers/network/time-server-merge-controller.js';
import {
  type ControllerDefinition,
  createRuntime,
  createState,
  type Runtime,
  type State,
} from '../../../src/index.js';
import { parseMachineConfig } from '../../../src/resources/config/load-config.js';
import { activeMachineConfigId, MachineConfigs } from '../../../src/resources/config/machine-config.js';
import { LinkStatuses } from '../../../src/resources/network/link-status.js';
import type { AnyResourceDefinition } from '../../../src/runtime/resource/define-resource.js';
import { createVirtualClock, type VirtualClock } from '../../../src/testing/index.js';

/** The network config controllers (with the device config controller). */
export function configControllers(options: NetworkConfigOptions = {}): ControllerDefinition[] {
  return [
    deviceConfigController(),
    linkConfigController(options),
    addressConfigController(options),
    routeConfigController(options),
    hostnameConfigController(options),
    resolverConfigController(options),
    timeServerConfigController(options),
    operatorConfigController(options),
  ];
}

/** The seven network merge controllers. */
export function mergeControllers(): ControllerDefinition[] {
  return [
    linkMergeController(),
    addressMergeController(),
    routeMergeController(),
    hostnameMergeController(),
    resolverMergeController(),
    timeServerMergeController(),
    operatorMergeController(),
  ];
}

/** A state and a runtime on a virtual clock. */
export interface NetHarness {
  readonly clock: VirtualClock;
  readonly state: State;
  readonly runtime: Runtime;
}

/** Starts a runtime on a virtual clock with the given controllers. */
export async function startHarness(controllers: readonly ControllerDefinition[]): Promise<NetHarness> {
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

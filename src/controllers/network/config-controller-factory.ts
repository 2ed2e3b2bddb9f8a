import type { CmdlineNetwork } from '../../resources/config/cmdline.js';
import type { V1Alpha1Config } from '../../resources/config/v1alpha1.js';
import type { DeviceConfigSpec } from '../../resources/network/device-config-spec.js';
import { networkConfigNamespace } from '../../resources/network/layer.js';
import type { LinkStatus } from '../../resources/network/link-status.js';
import { LinkStatuses } from '../../resources/network/link-status.js';
import type { PlatformConfigSpec } from '../../resources/network/platform-config.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { type ControllerInput, type OutputKind, output } from '../../runtime/controller/inputs.js';
import type { ReadContext } from '../../runtime/controller/read-context.js';
import type { ReconcileContext } from '../../runtime/controller/reconcile-context.js';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import {
  cmdlineOf,
  deviceConfigInput,
  linkStatusInput,
  machineConfigInput,
  type NetworkConfigOptions,
  platformConfigInput,
  readDevices,
  readMachineConfig,
  readPlatformConfig,
} from './config-sources.js';

/** A source a network config controller reads; each one it declares is also one of its inputs. */
export type NetworkConfigSource = 'machineConfig' | 'platform' | 'links' | 'devices';

/** Every source a network config controller can read, as read at the start of a reconcile. */
interface AllNetworkConfigSources {
  /** The parsed kernel command line the controller was built with (empty by default). */
  readonly cmdline: CmdlineNetwork;
  /** The active machine config, or `undefined` in maintenance. */
  readonly machineConfig: V1Alpha1Config | undefined;
  /** The platform's network configuration, or `undefined` when the platform gives none. */
  readonly platform: PlatformConfigSpec | undefined;
  /** The observed links, sorted by id. */
  readonly links: readonly LinkStatus[];
  /** The configured devices that are not ignored, in config order. */
  readonly devices: readonly DeviceConfigSpec['spec'][];
}

/** The command line and the sources a controller declared: the only ones its `specs` can see. */
type NetworkConfigSources<TSource extends NetworkConfigSource> = Pick<
  AllNetworkConfigSources,
  'cmdline' | TSource
>;

/** What a network config controller declares. */
export interface NetworkConfigControllerOptions<TSource extends NetworkConfigSource> {
  /** The controller's name, e.g. `network.LinkConfigController`. */
  readonly name: string;
  /** The resource type it writes. */
  readonly definition: AnyResourceDefinition;
  /** The sources it reads: each becomes a weak input, in a fixed order, and a field of `specs`' argument. */
  readonly sources: readonly TSource[];
  /** Inputs it reads itself through the context, after the sources' ones. */
  readonly inputs?: readonly ControllerInput[];
  /** `shared` (default: every layer's specs of a type are written by several writers) or `exclusive`. */
  readonly output?: OutputKind;
  /** Where its specs live and are cleaned up: `network-config` by default. */
  readonly namespace?: string;
  /** Every spec it wants now; a later spec with the same id replaces an earlier one. */
  specs(sources: NetworkConfigSources<TSource>, ctx: ReadContext): Promise<readonly AnyResource[]>;
}

/** Builds a network config controller from the options the node has (its command line). */
export type NetworkConfigControllerFactory = (options?: NetworkConfigOptions) => ControllerDefinition;

const sourceOrder: readonly NetworkConfigSource[] = ['machineConfig', 'platform', 'links', 'devices'];

const sourceInputs: Readonly<Record<NetworkConfigSource, ControllerInput>> = {
  machineConfig: machineConfigInput,
  platform: platformConfigInput,
  links: linkStatusInput,
  devices: deviceConfigInput,
};

/** Reads the declared sources; the others stay empty, and `specs` cannot see them by type. */
async function readSources(
  ctx: ReadContext,
  declared: ReadonlySet<NetworkConfigSource>,
  cmdline: CmdlineNetwork,
): Promise<AllNetworkConfigSources> {
  return {
    cmdline,
    machineConfig: declared.has('machineConfig') ? await readMachineConfig(ctx) : undefined,
    platform: declared.has('platform') ? await readPlatformConfig(ctx) : undefined,
    links: declared.has('links') ? await ctx.list(LinkStatuses.kind()) : [],
    devices: declared.has('devices') ? await readDevices(ctx) : [],
  };
}

/**
 * Writes a controller's specs and removes the ones it wrote before and no longer wants. Unchanged
 * specs write nothing.
 */
async function writeSpecs(
  ctx: ReconcileContext,
  definition: AnyResourceDefinition,
  namespace: string,
  specs: readonly AnyResource[],
): Promise<void> {
  ctx.trackOutputs();
  // Two sources may ask for the same id (a link named twice): the later one wins.
  const byId = new Map<string, AnyResource>();
  for (const spec of specs) byId.set(spec.metadata.id, spec);
  for (const spec of byId.values()) {
    await ctx.modify(spec, (draft) => {
      draft.spec = spec.spec;
    });
  }
  await ctx.cleanupOutputs(definition.kind(namespace));
}

/**
 * Declares a network config controller: on every reconcile it reads its sources, asks `specs` for
 * the specs it wants and writes exactly those (per layer, into `network-config` by default).
 */
export function defineNetworkConfigController<const TSource extends NetworkConfigSource>(
  options: NetworkConfigControllerOptions<TSource>,
): NetworkConfigControllerFactory {
  const declared = new Set<NetworkConfigSource>(options.sources);
  const inputs = [
    ...sourceOrder.filter((s) => declared.has(s)).map((s) => sourceInputs[s]),
    ...(options.inputs ?? []),
  ];
  const namespace = options.namespace ?? networkConfigNamespace;
  const outputKind = options.output ?? 'shared';
  return (factoryOptions = {}) => {
    const cmdline = cmdlineOf(factoryOptions);
    return defineController({
      name: options.name,
      inputs,
      outputs: [output[outputKind](options.definition)],
      async reconcile(ctx) {
        const sources = await readSources(ctx, declared, cmdline);
        await writeSpecs(ctx, options.definition, namespace, await options.specs(sources, ctx));
      },
    });
  };
}

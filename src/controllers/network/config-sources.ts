import type { CmdlineLink, CmdlineNetwork } from '../../resources/config/cmdline.js';
import { emptyCmdlineNetwork } from '../../resources/config/cmdline.js';
import { activeMachineConfigId, MachineConfigs } from '../../resources/config/machine-config.js';
import type { V1Alpha1Config } from '../../resources/config/v1alpha1.js';
import { type DeviceConfigSpec, DeviceConfigSpecs } from '../../resources/network/device-config-spec.js';
import { isPhysicalLink, type LinkStatus, LinkStatuses } from '../../resources/network/link-status.js';
import {
  activePlatformConfigId,
  type PlatformConfigSpec,
  PlatformConfigs,
} from '../../resources/network/platform-config.js';
import type { ControllerInput } from '../../runtime/controller/inputs.js';
import { input } from '../../runtime/controller/inputs.js';
import type { ReadContext } from '../../runtime/controller/read-context.js';
import { undefinedIfNotFound } from '../../runtime/errors.js';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import type { Pointer } from '../../runtime/resource/pointer.js';
import type { Resource } from '../../runtime/resource/resource.js';

/** What the network config controllers are built with: the sources that are not resources. */
export interface NetworkConfigOptions {
  /** The parsed kernel command line (the `cmdline` layer); none by default. */
  readonly cmdline?: CmdlineNetwork;
}

/** The active machine config as an input. */
export const machineConfigInput: ControllerInput = input.weak(MachineConfigs, { id: activeMachineConfigId });
/** The platform's network configuration as an input. */
export const platformConfigInput: ControllerInput = input.weak(PlatformConfigs, {
  id: activePlatformConfigId,
});
/** Observed links as an input. */
export const linkStatusInput: ControllerInput = input.weak(LinkStatuses);
/** Configured devices (selectors resolved) as an input. */
export const deviceConfigInput: ControllerInput = input.weak(DeviceConfigSpecs);

/** A resource, or `undefined` when it does not exist. */
async function getOptional<TDef extends AnyResourceDefinition>(
  ctx: ReadContext,
  pointer: Pointer<TDef>,
): Promise<Resource<TDef> | undefined> {
  return undefinedIfNotFound(ctx.get(pointer));
}

/** The active machine config (running), or `undefined` when the node has none (maintenance). */
export async function readMachineConfig(ctx: ReadContext): Promise<V1Alpha1Config | undefined> {
  const mc = await getOptional(ctx, MachineConfigs.pointer(activeMachineConfigId));
  return mc?.metadata.phase === 'running' ? mc.spec : undefined;
}

/** The platform's network configuration, or `undefined` when the platform gives none. */
export async function readPlatformConfig(ctx: ReadContext): Promise<PlatformConfigSpec | undefined> {
  const pc = await getOptional(ctx, PlatformConfigs.pointer(activePlatformConfigId));
  return pc?.metadata.phase === 'running' ? pc.spec : undefined;
}

/** The configured devices that are not ignored, in config order. */
export async function readDevices(ctx: ReadContext): Promise<DeviceConfigSpec['spec'][]> {
  const devices = await ctx.list(DeviceConfigSpecs.kind());
  return devices
    .map((d) => d.spec)
    .filter((d) => !d.device.ignore && d.device.interface !== undefined)
    .sort((a, b) => a.index - b.index);
}

/** The name of the link a configured device applies to. */
export function deviceLink(device: DeviceConfigSpec['spec']): string {
  return device.device.interface ?? '';
}

/** The name Talos gives a VLAN link of a device: `<parent>.<vid>`. */
export function vlanLinkName(parent: string, vlanId: number): string {
  return `${parent}.${vlanId}`;
}

/** Physical links, sorted by name. */
export function physicalLinks(links: readonly LinkStatus[]): LinkStatus[] {
  return links.filter((l) => isPhysicalLink(l.spec)).sort((a, b) => (a.metadata.id < b.metadata.id ? -1 : 1));
}

/**
 * The command line's links with `''` resolved to the first physical link (sorted by name); links
 * that cannot be resolved yet (no physical link observed) are left out.
 */
export function resolveCmdlineLinks(cmdline: CmdlineNetwork, links: readonly LinkStatus[]): CmdlineLink[] {
  const first = physicalLinks(links)[0]?.metadata.id;
  const out: CmdlineLink[] = [];
  for (const link of cmdline.links) {
    if (link.name !== '') out.push(link);
    else if (first !== undefined) out.push({ ...link, name: first });
  }
  return out;
}

/** The command line a factory was given, or an empty one. */
export function cmdlineOf(options: NetworkConfigOptions): CmdlineNetwork {
  return options.cmdline ?? emptyCmdlineNetwork;
}

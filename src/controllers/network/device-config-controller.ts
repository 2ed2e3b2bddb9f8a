import type { NetworkDevice } from '../../resources/config/v1alpha1-network.js';
import { DeviceConfigSpecs, deviceConfigId } from '../../resources/network/device-config-spec.js';
import { isPhysicalLink, type LinkStatus, LinkStatuses } from '../../resources/network/link-status.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { output } from '../../runtime/controller/inputs.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import { linkStatusInput, machineConfigInput, readMachineConfig } from './config-sources.js';

/** Whether an observed link matches a device selector (every given field must match). */
function matches(selector: NonNullable<NetworkDevice['deviceSelector']>, link: LinkStatus): boolean {
  if (selector.driver !== undefined || selector.busPath !== undefined) return false;
  if (selector.hardwareAddr !== undefined) {
    if (selector.hardwareAddr.toLowerCase() !== link.spec.hardwareAddr.toLowerCase()) return false;
  }
  if (selector.physical !== undefined && selector.physical !== isPhysicalLink(link.spec)) return false;
  return true;
}

/**
 * `network.DeviceConfigController`: one `DeviceConfigSpec` per `machine.network.interfaces` entry,
 * with a `deviceSelector` resolved to the observed links it matches (the first one, as Talos).
 */
export function deviceConfigController(): ControllerDefinition {
  return defineController({
    name: 'network.DeviceConfigController',
    inputs: [machineConfigInput, linkStatusInput],
    outputs: [output.exclusive(DeviceConfigSpecs)],
    async reconcile(ctx) {
      const config = await readMachineConfig(ctx);
      const links = config === undefined ? [] : await ctx.list(LinkStatuses.kind());
      const wanted: AnyResource[] = [];
      config?.machine.network.interfaces.forEach((device, index) => {
        let name = device.interface;
        if (device.deviceSelector !== undefined) {
          const selector = device.deviceSelector;
          name = links.find((l) => matches(selector, l))?.metadata.id;
        }
        if (name === undefined) return;
        wanted.push(
          DeviceConfigSpecs.make(deviceConfigId(name, index), {
            device: { ...device, interface: name, deviceSelector: undefined },
            index,
          }),
        );
      });
      ctx.trackOutputs();
      for (const spec of wanted) {
        await ctx.modify(spec, (draft) => {
          draft.spec = spec.spec;
        });
      }
      await ctx.cleanupOutputs(DeviceConfigSpecs.kind());
    },
  });
}

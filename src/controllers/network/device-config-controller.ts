import type { NetworkDevice } from '../../resources/config/v1alpha1-network.js';
import { DeviceConfigSpecs, deviceConfigId } from '../../resources/network/device-config-spec.js';
import { isPhysicalLink, type LinkStatus } from '../../resources/network/link-status.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import { defineNetworkConfigController } from './config-controller-factory.js';

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
export const deviceConfigController = defineNetworkConfigController({
  name: 'network.DeviceConfigController',
  definition: DeviceConfigSpecs,
  sources: ['machineConfig', 'links'],
  // The one writer of device configs, which live in their type's own namespace.
  output: 'exclusive',
  namespace: DeviceConfigSpecs.defaultNamespace,
  async specs({ machineConfig, links }) {
    const wanted: AnyResource[] = [];
    machineConfig?.machine.network.interfaces.forEach((device, index) => {
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
    return wanted;
  },
});

export {
  type CmdlineLink,
  type CmdlineNetwork,
  type CmdlineVlan,
  emptyCmdlineNetwork,
  parseCmdlineNetwork,
} from './cmdline.js';
export { ConfigError, type ConfigIssue, formatConfigIssue, isConfigError } from './config-error.js';
export { parseMachineConfig, safeParseMachineConfig } from './load-config.js';
export {
  activeMachineConfigId,
  configNamespace,
  type MachineConfig,
  type MachineConfigSpec,
  MachineConfigs,
  persistentMachineConfigId,
} from './machine-config.js';
export {
  isControlPlane,
  type MachineType,
  MachineTypes,
  machineTypeId,
  machineTypeSchema,
} from './machine-type.js';
export { parsePlatformMetadata } from './platform-metadata.js';
export {
  type MachineTypeName,
  machineTypes,
  type V1Alpha1Config,
  type V1Alpha1ConfigInput,
  v1alpha1ConfigSchema,
} from './v1alpha1.js';
export {
  machineNetworkSchema,
  type NetworkDevice,
  type NetworkDeviceRoute,
  type NetworkDeviceVlan,
  networkDeviceSchema,
} from './v1alpha1-network.js';

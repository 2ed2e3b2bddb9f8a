/**
 * `converge/node`: a Talos-style node on the engine — its resource definitions, controllers and platforms.
 *
 * @packageDocumentation
 */

// Platforms: what a node acts on
export type { DhcpChange, DhcpClientOptions, DhcpLease, DhcpPlatform } from '../platform/dhcp.js';
export { isPlatformError, PlatformError, type PlatformErrorCode } from '../platform/errors.js';
export {
  createLinuxPlatform,
  type LinuxPlatform,
  type LinuxPlatformOptions,
} from '../platform/linux/create-linux-platform.js';
export type {
  NetworkChange,
  NetworkPlatform,
  PlatformAddress,
  PlatformLink,
  PlatformRoute,
} from '../platform/network.js';
export type { Platform } from '../platform/platform.js';
export {
  createSimulatedPlatform,
  type SimulatedPlatform,
  type SimulatedPlatformLink,
  type SimulatedPlatformOptions,
} from '../platform/simulated/create-simulated-platform.js';
export type { TimeChange, TimePlatform, TimeSyncStatus } from '../platform/time.js';
// Configuration resources
export * from '../resources/config/index.js';
// Network resources: specs, statuses and derived
export * from '../resources/network/index.js';
// Time resources
export * from '../resources/time/index.js';
export { createNode, type Node, type NodeOptions } from './create-node.js';

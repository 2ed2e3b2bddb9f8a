/**
 * The services a node runs (research §5.7): each part of the node (etcd, the kubelet) contributes
 * its service definitions here, and the node loads and starts them when it boots.
 */
import type { Logger } from 'pino';
import type { DiskPlatform } from '../platform/disk.js';
import type { Platform } from '../platform/platform.js';
import type { Clock } from '../runtime/clock.js';
import type { State } from '../runtime/state/state.js';
import type { ServiceDefinition } from './supervisor/service.js';

/** What a service definition may use: the node's state, platform, disk, clock and logger. */
export interface NodeServiceContext {
  readonly state: State;
  readonly platform: Platform;
  readonly disk: DiskPlatform;
  readonly stateDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Every service the node runs, in the order they are loaded. A service waits for what it needs
 * (its `condition`: a spec resource present, time synced) rather than being left out, so the list
 * does not depend on the machine config.
 */
export function nodeServices(_context: NodeServiceContext): ServiceDefinition[] {
  return [];
}

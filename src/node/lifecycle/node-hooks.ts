/**
 * Hooks other parts of the node plug into its lifecycle: the upgrade guard (etcd quorum) and the
 * leave of a graceful reset (etcd membership). Both see the current boot's state and services.
 */
import type { Logger } from 'pino';
import type { DiskPlatform } from '../../platform/disk.js';
import type { Clock } from '../../runtime/clock.js';
import type { State } from '../../runtime/state/state.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { NodeImage } from './node-image.js';

/** What a lifecycle hook sees of the node. */
export interface LifecycleContext {
  readonly state: State;
  readonly supervisor: Supervisor;
  readonly disk: DiskPlatform;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Answers why an upgrade to `image` must not happen now, or `undefined` to allow it. */
export type UpgradeGuard = (
  ctx: LifecycleContext & { readonly image: NodeImage },
) => Promise<string | undefined>;

/** Leaves the cluster's etcd before a graceful reset wipes the node; a throw stops the reset. */
export type LeaveEtcdHook = (ctx: LifecycleContext & { readonly signal: AbortSignal }) => Promise<void>;

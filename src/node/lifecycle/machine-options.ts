/** What a machine is made of: its disk, platform, first install, services and hooks. */
import type { FileDisk } from '../../platform/disk/file-disk.js';
import type { Platform } from '../../platform/platform.js';
import type { State } from '../../runtime/state/state.js';
import type { NodeServiceContext } from '../node-services.js';
import type { ServiceDefinition } from '../supervisor/service.js';
import type { IncarnationOptions } from './incarnation.js';
import type { NodeLifecycleHook } from './lifecycle-steps.js';
import type { LeaveEtcdHook, UpgradeGuard } from './node-hooks.js';
import type { NodeImage } from './node-image.js';

/** What the machine is made of. */
export interface MachineOptions extends IncarnationOptions {
  readonly stateDir: string;
  readonly disk: FileDisk;
  readonly platform: Platform;
  /** What a fresh disk is installed with: the image in slot A and, optionally, the first config. */
  readonly install: { readonly image: NodeImage; readonly config?: string };
  /** Seeds a fresh boot's state before its controllers start (platform metadata). */
  readonly seed: (state: State) => Promise<void>;
  /** The node's services, loaded by each boot's startEverything (`nodeServices`). */
  readonly services: (ctx: NodeServiceContext) => ServiceDefinition[];
  readonly bootTimeoutMs: number;
  readonly rebootDelayMs: number;
  readonly hook?: NodeLifecycleHook;
  readonly upgradeGuard?: UpgradeGuard;
  readonly leaveEtcd?: LeaveEtcdHook;
}

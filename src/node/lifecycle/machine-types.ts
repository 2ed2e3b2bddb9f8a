/** The requests and answers of the machine's operations. */
import type { BootSlot } from '../../platform/boot.js';
import type { NodeImage } from './node-image.js';

/** An upgrade request. */
export interface UpgradeRequest {
  /** The new image (a {@link NodeImage} or its JSON). */
  readonly image: unknown;
  /** Write it to META and install it at the next boot, before anything runs (Talos `--stage`). */
  readonly stage?: boolean;
  /** Install it now and leave the reboot to later (Talos `--no-reboot`). */
  readonly noReboot?: boolean;
  /** Skip the upgrade guard (Talos `--force`). */
  readonly force?: boolean;
}

/** What an upgrade did. */
export interface UpgradeResult {
  /** The version asked for. */
  readonly version: string;
  /** The slot it was written to; `undefined` for a staged upgrade (written at the next boot). */
  readonly slot: BootSlot | undefined;
  /** The slot the node ran from. */
  readonly previous: BootSlot;
}

/** The slot the node booted and the image it runs. */
export interface RunningImage {
  readonly slot: BootSlot;
  readonly image: NodeImage;
}

/** A one-shot signal. */
export interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

/** A one-shot signal whose rejection nobody has to handle. */
export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

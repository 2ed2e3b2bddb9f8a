/**
 * The boot loader: two slots, A and B, each holding a versioned node image, and which one boots by
 * default. An upgrade writes the slot the node is not running from and flips the default; a revert
 * flips it back (research §5.5).
 */

/** A boot slot. */
export type BootSlot = 'A' | 'B';

/** The other slot. */
export function otherSlot(slot: BootSlot): BootSlot {
  return slot === 'A' ? 'B' : 'A';
}

/** What a slot holds: a version and the node image itself, opaque to the boot loader. */
export interface SlotImage {
  /** The image's version, e.g. `v1.2.0`. */
  readonly version: string;
  /** The serialized image (the node layer defines its shape). */
  readonly image: string;
}

/** The boot loader's state. */
export interface BootState {
  /** The slot that boots next. */
  readonly defaultSlot: BootSlot;
  /** The version each written slot holds. */
  readonly versions: Readonly<Partial<Record<BootSlot, string>>>;
}

/** Reads and writes the boot slots; every write is atomic. */
export interface BootPlatform {
  /** The default slot and the versions the slots hold; a fresh disk boots A with no slot written. */
  state(): Promise<BootState>;
  /** A slot's image, or `undefined` when it was never written. */
  readSlot(slot: BootSlot): Promise<SlotImage | undefined>;
  /** Writes a slot's image atomically (the other slot and the default are untouched). */
  writeSlot(slot: BootSlot, image: SlotImage): Promise<void>;
  /** Makes `slot` the default atomically; refuses (ENOENT) a slot that holds no image. */
  setDefault(slot: BootSlot): Promise<void>;
}

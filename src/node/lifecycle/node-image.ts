/**
 * The project's node images: a version and what the node runs at that version. An image can be
 * marked as one that fails to boot, or whose services fail, so tests and the demo show a revert.
 */
import { z } from 'zod';

/** A node image as a boot slot holds it. */
const nodeImageSchema = z
  .object({
    /** The version, e.g. `v1.2.0`. */
    version: z.string().regex(/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'a version such as v1.2.0'),
    /** What changed, in words. */
    description: z.string().default(''),
    /** The boot sequence fails at once (a kernel that panics, a broken init). */
    failsToBoot: z.boolean().default(false),
    /** These services never come up at this version, so the boot times out. */
    failingServices: z.array(z.string()).default([]),
  })
  .strict();

/** A node image. */
export type NodeImage = z.output<typeof nodeImageSchema>;

/** Parses an image as stored in a slot or given to `upgrade`; throws a zod error naming the field. */
export function parseNodeImage(value: unknown): NodeImage {
  return nodeImageSchema.parse(typeof value === 'string' ? JSON.parse(value) : value);
}

import { z } from 'zod';

/** An address family as Talos prints it: `inet4` or `inet6`. */
export const AddressFamily = z.enum(['inet4', 'inet6']);
/** An address family as Talos prints it: `inet4` or `inet6`. */
export type AddressFamily = z.output<typeof AddressFamily>;

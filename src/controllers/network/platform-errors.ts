import { isPlatformError, type PlatformErrorCode } from '../../platform/errors.js';

/**
 * Runs a platform call, treating the given kernel error codes as "already so" (an add that finds
 * it there, a removal that finds it gone). Returns false when one of them was swallowed.
 */
export async function tolerate(call: () => Promise<void>, ...codes: PlatformErrorCode[]): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (isPlatformError(error, ...codes)) return false;
    throw error;
  }
}

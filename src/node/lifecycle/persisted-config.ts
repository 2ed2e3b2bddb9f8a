/**
 * The persistent machine config: `config.yaml` in the STATE partition, as Talos keeps it, written
 * atomically. What the next boot loads.
 */
import type { DiskPlatform } from '../../platform/disk.js';

const configFile = 'config.yaml';

/** The persisted config document, or `undefined` when STATE holds none. */
export async function readPersistedConfig(disk: DiskPlatform): Promise<string | undefined> {
  const data = await disk.read('STATE', configFile);
  return data === undefined ? undefined : Buffer.from(data).toString('utf8');
}

/** Persists a config document atomically. */
export function writePersistedConfig(disk: DiskPlatform, text: string): Promise<void> {
  return disk.write('STATE', configFile, text);
}

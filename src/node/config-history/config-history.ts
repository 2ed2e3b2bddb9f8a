/**
 * Config history: every config applied to the node, with a version, when, by whom and in which
 * mode, one atomic file per entry in the STATE partition (`config-history-000001.json`), so a user
 * can list it, diff two versions and return to any of them. A reset wipes it with STATE.
 */
import { z } from 'zod';
import type { DiskPlatform } from '../../platform/disk.js';
import { PlatformError } from '../../platform/errors.js';

/** How a config was applied (`install`: the config a fresh node was installed with). */
export type ConfigHistoryMode = 'install' | 'auto' | 'no-reboot' | 'reboot' | 'staged' | 'try';

const entrySchema = z.object({
  version: z.number().int().positive(),
  /** RFC 3339. */
  time: z.string(),
  by: z.string(),
  mode: z.enum(['install', 'auto', 'no-reboot', 'reboot', 'staged', 'try']),
  /** The document as it was applied. */
  config: z.string(),
});

/** One applied config. */
export type ConfigHistoryEntry = z.output<typeof entrySchema>;

const prefix = 'config-history-';
const fileOf = (version: number) => `${prefix}${String(version).padStart(6, '0')}.json`;

/** The history of one node's disk. */
export interface ConfigHistory {
  /** Every entry, oldest first. */
  list(): Promise<ConfigHistoryEntry[]>;
  /** One version; throws a clear error when there is none. */
  get(version: number): Promise<ConfigHistoryEntry>;
  /** Records a new entry with the next version; resolves once it is on disk. */
  append(entry: Omit<ConfigHistoryEntry, 'version'>): Promise<ConfigHistoryEntry>;
  /** Removes an entry (an apply that did not complete). */
  remove(version: number): Promise<void>;
}

/** The history kept on `disk`'s STATE partition. */
export function openConfigHistory(disk: DiskPlatform): ConfigHistory {
  const read = async (name: string): Promise<ConfigHistoryEntry> => {
    const data = await disk.read('STATE', name);
    if (data === undefined)
      throw new PlatformError('ENOENT', `config history: ${name} is gone`, { subject: name });
    try {
      return entrySchema.parse(JSON.parse(Buffer.from(data).toString('utf8')));
    } catch (error) {
      throw new PlatformError('EIO', `config history: ${name} is not a history entry`, {
        subject: name,
        cause: error,
      });
    }
  };
  const names = async () => (await disk.list('STATE')).filter((n) => n.startsWith(prefix));
  const history: ConfigHistory = {
    async list() {
      const out: ConfigHistoryEntry[] = [];
      for (const name of await names()) out.push(await read(name));
      return out;
    },
    async get(version) {
      if ((await disk.read('STATE', fileOf(version))) === undefined) {
        throw new Error(`config history has no version ${version}`);
      }
      return read(fileOf(version));
    },
    async append(entry) {
      const last = (await names()).at(-1);
      const version = last === undefined ? 1 : (await read(last)).version + 1;
      const full = entrySchema.parse({ ...entry, version });
      await disk.write('STATE', fileOf(version), `${JSON.stringify(full, null, 2)}\n`);
      return full;
    },
    remove: (version) => disk.remove('STATE', fileOf(version)),
  };
  return history;
}

/**
 * After a crash: an apply writes its history entry before the config, so a last persisted entry
 * (any mode but `try`) that differs from the config on disk never took effect and is removed,
 * with anything after it.
 */
export async function recoverConfigHistory(
  history: ConfigHistory,
  persisted: string | undefined,
): Promise<void> {
  const entries = await history.list();
  const lastPersisted = entries.findLastIndex((e) => e.mode !== 'try');
  const last = entries[lastPersisted];
  if (last === undefined || persisted === undefined || last.config === persisted) return;
  for (const entry of entries.slice(lastPersisted).reverse()) await history.remove(entry.version);
}

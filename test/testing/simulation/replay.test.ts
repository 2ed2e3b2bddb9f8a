import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { testNamePattern } from '../../../src/testing/simulation/replay.js';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// A folder of its own inside the project (so vitest and the sources resolve), with a vitest config
// of its own that picks up the one test file there.
const folder = join(root, '.tmp', 'replay-names');
const record = join(folder, 'record.jsonl');

const names = [
  'keeps (parens) and [brackets]',
  'a+b? c* {2} ^x$ .|\\ y',
  "it's quoted",
  'a+b? c* {2} ^x$ .|\\ y and more',
];

interface Recorded {
  readonly name: string;
  readonly command: string;
}

async function recorded(): Promise<Recorded[]> {
  const text = await readFile(record, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Recorded);
}

/** Runs a shell command (a printed replay command) in the folder; it records the tests it ran. */
async function runInFolder(command: string): Promise<Recorded[]> {
  await rm(record, { force: true });
  await run('bash', ['-c', command], {
    cwd: folder,
    env: {
      ...process.env,
      REPLAY_NAMES: JSON.stringify(names),
      REPLAY_NAMES_RECORD: record,
      CONVERGE_REPLAY: '',
    },
  });
  return recorded();
}

describe('replayCommand', () => {
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('should escape every character a regular expression reads', () => {
    const name = 'a (b) [c] + d? * e {2} ^f$ .|\\';
    expect(new RegExp(testNamePattern(name)).test(name)).toBe(true);
    expect(new RegExp(testNamePattern(name)).test(`${name} and more`)).toBe(false);
    expect(new RegExp(testNamePattern(name)).test('a b c + d? * e {2} ^f$ .|\\')).toBe(false);
  });

  it('should print a command that replays exactly the failing test, whatever its name', async () => {
    // The fixture imports the sources four levels up, as from test/testing/simulation/fixtures.
    const nested = join(folder, 'a', 'b');
    await mkdir(nested, { recursive: true });
    await writeFile(
      join(folder, 'vitest.config.mjs'),
      "export default { test: { include: ['**/*.test.ts'] } };\n",
    );
    await copyFile(
      join(root, 'test', 'testing', 'simulation', 'fixtures', 'replay-names.ts'),
      join(nested, 'replay-names.test.ts'),
    );
    const all = await runInFolder('npx vitest run');
    expect(all.map((r) => r.name).sort()).toEqual([...names].sort());
    for (const { name, command } of all) {
      expect(command).toContain(' -t ');
      const replayed = await runInFolder(command);
      expect(replayed.map((r) => r.name)).toEqual([name]);
    }
  }, 180_000);
});

import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const examples = readdirSync(join(root, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && /^\d\d-/.test(d.name))
  .map((d) => d.name)
  .sort();

const outputs = new Map<string, string>();

// Examples are documentation that runs: each must exit 0 on its own, as a reader would run it.
describe('examples', () => {
  it('should have the numbered examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  it.each(examples)(
    'should run %s to completion',
    async (name) => {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', '--conditions=source', join('examples', name, 'main.ts')],
        { cwd: root, timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } },
      );
      expect(stdout.length).toBeGreaterThan(0);
      // Output never ends on a heading that announces more ("stopping the runtime:").
      expect(stdout.trimEnd().split('\n').at(-1)).not.toMatch(/:$/);
      outputs.set(name, stdout);
    },
    90_000,
  );

  it('should explain the watch of a missing resource and label each version bump in example 01', () => {
    const stdout = outputs.get('01-resources-and-watches');
    expect(stdout, 'example 01 ran').toBeDefined();
    expect(stdout!.split('\n').filter((l) => l.startsWith('endpoint web:'))).toEqual([
      'endpoint web: does not exist yet',
      'endpoint web: created (version 1)',
      'endpoint web: updated (version 2): finalizer example-cleanup added',
      'endpoint web: updated (version 3): teardown (phase tearingDown)',
      'endpoint web: updated (version 4): finalizer example-cleanup removed',
      'endpoint web: destroyed (version 4)',
    ]);
  });
});

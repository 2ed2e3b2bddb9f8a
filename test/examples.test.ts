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
    },
    90_000,
  );
});

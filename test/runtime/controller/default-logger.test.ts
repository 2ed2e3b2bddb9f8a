import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('runtime: the default logger', () => {
  it('should show a failing controller on stderr once per streak, and its recovery, without being asked', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'failing-controller-process.ts');
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', fixture]);
    expect(stdout).toBe('');
    const lines = stderr
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'reconcile failed'],
      [30, 'reconcile recovered'],
    ]);
    expect(lines[0]).toMatchObject({ controller: 'Doomed', error: 'disk full', attempt: 1, retryInMs: 500 });
    expect(lines[1]).toMatchObject({ controller: 'Doomed', failures: 3, failingForMs: 2375 });
  });
});

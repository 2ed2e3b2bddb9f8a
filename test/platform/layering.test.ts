import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(import.meta.dirname, '../../src');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

/** Every relative import of a file, as a path under src (e.g. `runtime/clock.js`). */
function importsOf(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => relative(src, resolve(dirname(file), s)));
}

describe('import direction of the platform', () => {
  it('should import nothing of resources, controllers, node or the testing kit', async () => {
    const offending: string[] = [];
    for (const file of await sourceFiles(join(src, 'platform'))) {
      for (const target of importsOf(file, await readFile(file, 'utf8'))) {
        if (/^(resources|controllers|node|testing|api|cli)\//.test(target)) {
          offending.push(`${relative(src, file)} → ${target}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });
});

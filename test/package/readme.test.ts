import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Inside the project, so `converge` resolves to this package through its own exports.
const folder = join(root, '.tmp', 'readme-snippets');

/** The README's ```ts blocks, in order, each with the line its code starts on. */
function tsBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = markdown.split('\n');
  let current: { line: number; code: string[] } | undefined;
  lines.forEach((text, index) => {
    if (current === undefined && /^```ts\s*$/.test(text)) current = { line: index + 2, code: [] };
    else if (current !== undefined && /^```\s*$/.test(text)) {
      blocks.push({ line: current.line, code: current.code.join('\n') });
      current = undefined;
    } else current?.code.push(text);
  });
  return blocks;
}

describe('README.md', () => {
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('should type-check its TypeScript snippets, read in order as one program, as written', async () => {
    const blocks = tsBlocks(await readFile(join(root, 'README.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThan(1);
    // Each snippet goes on where the one before it left off, as a reader reads them.
    const program = blocks.map((b) => `// README.md line ${b.line}\n${b.code}`).join('\n\n');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'readme.ts'), program);
    const tsconfig = {
      extends: '../../tsconfig.json',
      // Snippets may show a value without using it.
      compilerOptions: { noUnusedLocals: false, noUnusedParameters: false },
      include: [],
      files: ['readme.ts'],
    };
    await writeFile(join(folder, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', join(folder, 'tsconfig.json'), '--noEmit'], {
      cwd: root,
    }).then(
      () => '',
      (error: { stdout?: string }) =>
        `${error.stdout ?? String(error)}\n--- ${folder}/readme.ts ---\n${program}`,
    );
    expect(result).toBe('');
  }, 120_000);

  it('should find each block and the line it starts on', () => {
    const markdown = [
      '# t',
      '```ts',
      'const a = 1;',
      '```',
      'text',
      '```sh',
      'ls',
      '```',
      '```ts',
      'a;',
      '```',
    ].join('\n');
    expect(tsBlocks(markdown)).toEqual([
      { line: 3, code: 'const a = 1;' },
      { line: 10, code: 'a;' },
    ]);
  });
});

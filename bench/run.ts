/**
 * `npm run bench -- <name...>`: runs bench/<name>.bench.ts, prints its table and writes
 * bench/results/<name>.json. With no name, lists the benchmarks.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchReport, formatReport } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (names.length === 0) {
  process.stdout.write(`benchmarks: ${available.join(', ')}\nrun: npm run bench -- <name>\n`);
  process.exit(0);
}

// Each benchmark runs in its own process with --expose-gc so memory figures are honest.
if (!(globalThis as { gc?: unknown }).gc) {
  const result = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...names],
    {
      stdio: 'inherit',
    },
  );
  process.exit(result.status ?? 1);
}

for (const name of names) {
  if (!available.includes(name)) {
    process.stderr.write(`unknown benchmark ${JSON.stringify(name)}; available: ${available.join(', ')}\n`);
    process.exit(2);
  }
  const module = (await import(join(here, `${name}.bench.ts`))) as { run: () => Promise<BenchReport> };
  const report = await module.run();
  process.stdout.write(`${formatReport(report)}\n\n`);
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(
    join(here, 'results', `${name}.json`),
    `${JSON.stringify({ ...report, node: process.version, date: new Date().toISOString() }, null, 2)}\n`,
  );
}

/**
 * The version of the converge package the CLI runs from.
 */
import { readFileSync } from 'node:fs';

/** The package's version, from its package.json (two levels up from src/cli and dist/cli alike). */
export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import { CliError, exitCodes } from '../exit-codes.js';

let tsxRegistered = false;

/** Lets Node import TypeScript modules through tsx's ESM loader (once per process). */
async function registerTypeScript(): Promise<void> {
  if (tsxRegistered) return;
  const { register } = await import('tsx/esm/api');
  register();
  tsxRegistered = true;
}

/** True when a value looks like what `defineResource` returns (from any copy of converge). */
function isDefinition(value: unknown): value is AnyResourceDefinition {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.type === 'string' &&
    typeof v.defaultNamespace === 'string' &&
    typeof v.make === 'function' &&
    typeof (v.spec as { safeParse?: unknown } | undefined)?.safeParse === 'function'
  );
}

/**
 * Imports a module (`.ts` through tsx) and returns the resource definitions it exports. A module
 * that cannot be loaded, or that exports no definition, is a usage error.
 */
export async function loadTypes(file: string): Promise<AnyResourceDefinition[]> {
  const path = resolve(file);
  if (!existsSync(path)) throw new CliError(`--types ${file}: no such file`, exitCodes.usage);
  if (/\.[cm]?tsx?$/.test(path)) await registerTypeScript();
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`--types ${file}: cannot load it: ${(error as Error).message}`, exitCodes.usage);
  }
  const definitions = Object.values(module).filter(isDefinition);
  if (definitions.length === 0) {
    throw new CliError(
      `--types ${file} exports no resource definition (export what defineResource returns)`,
      exitCodes.usage,
    );
  }
  return definitions;
}

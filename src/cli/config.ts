import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ApiTlsOptions } from '../api/server.js';
import { CliError, exitCodes } from './exit-codes.js';

/** The connection settings the CLI may be given, each from a flag, the environment or the config file. */
export interface ConnectionFlags {
  endpoint?: string;
  ca?: string;
  cert?: string;
  key?: string;
  config?: string;
}

/** A node the config file names: `converge -n <name>` reaches it at its endpoint. */
interface NamedNode {
  readonly name: string;
  readonly endpoint: string;
}

/** Where and how to reach the API. */
export interface Connection {
  readonly endpoint: string;
  readonly tls: ApiTlsOptions;
  /** The nodes of the config file's `nodes` mapping (name → endpoint), in file order. */
  readonly nodes: readonly NamedNode[];
}

/** The user's configuration directory (XDG on Linux, Application Support on macOS, AppData on Windows). */
function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_CONFIG_HOME) return env.XDG_CONFIG_HOME;
  if (process.platform === 'win32' && env.APPDATA) return env.APPDATA;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support');
  return join(env.HOME ?? homedir(), '.config');
}

/** The default config file: `<user config dir>/converge/config.yaml`. */
function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(userConfigDir(env), 'converge', 'config.yaml');
}

interface ConfigFile {
  endpoint?: string;
  ca?: string;
  cert?: string;
  key?: string;
  nodes?: NamedNode[];
}

function readNodes(path: string, value: unknown): NamedNode[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError(`config file ${path}: nodes must map node names to endpoints`, exitCodes.usage);
  }
  return Object.entries(value).map(([name, endpoint]) => {
    if (typeof endpoint !== 'string') {
      throw new CliError(
        `config file ${path}: the endpoint of node ${name} must be a string`,
        exitCodes.usage,
      );
    }
    return { name, endpoint };
  });
}

function readConfigFile(path: string, explicit: boolean): ConfigFile {
  if (!existsSync(path)) {
    if (explicit) throw new CliError(`config file ${path} does not exist`, exitCodes.usage);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read config file ${path}: ${(error as Error).message}`, exitCodes.usage);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(
      `config file ${path} must be a mapping with endpoint, ca, cert, key and nodes`,
      exitCodes.usage,
    );
  }
  const out: ConfigFile = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (k === 'nodes') {
      out.nodes = readNodes(path, v);
      continue;
    }
    if (k !== 'endpoint' && k !== 'ca' && k !== 'cert' && k !== 'key') {
      throw new CliError(`config file ${path}: unknown field ${JSON.stringify(k)}`, exitCodes.usage);
    }
    if (typeof v !== 'string')
      throw new CliError(`config file ${path}: ${k} must be a string`, exitCodes.usage);
    out[k] = v;
  }
  return out;
}

/** Reads PEM material: inline PEM is taken as is, anything else is a file path (relative to `base`). */
function readPem(what: string, value: string, base: string, source: string): string {
  if (value.trimStart().startsWith('-----BEGIN')) return value;
  const path = isAbsolute(value) ? value : resolve(base, value);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read the ${what} file ${path} (from ${source}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      exitCodes.usage,
    );
  }
}

/**
 * Resolves the endpoint and certificates: flags first, then `CONVERGE_ENDPOINT`, `CONVERGE_CA`,
 * `CONVERGE_CERT`, `CONVERGE_KEY`, then the config file (`--config`, `CONVERGE_CONFIG`, or the default path).
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const configPath = flags.config ?? env.CONVERGE_CONFIG ?? defaultConfigPath(env);
  const explicit = flags.config !== undefined || env.CONVERGE_CONFIG !== undefined;
  const file = readConfigFile(configPath, explicit);
  const pick = (key: 'endpoint' | 'ca' | 'cert' | 'key', envName: string) => {
    if (flags[key] !== undefined) return { value: flags[key]!, base: process.cwd(), source: `--${key}` };
    if (env[envName] !== undefined && env[envName] !== '')
      return { value: env[envName]!, base: process.cwd(), source: envName };
    if (file[key] !== undefined) return { value: file[key]!, base: dirname(configPath), source: configPath };
    throw new CliError(
      `no ${key === 'endpoint' ? 'endpoint' : `${key} file`}: pass --${key}, set ${envName}, or write ${key} in ${configPath}`,
      exitCodes.usage,
    );
  };
  const nodes = file.nodes ?? [];
  const endpoint =
    flags.endpoint === undefined && !env.CONVERGE_ENDPOINT && file.endpoint === undefined && nodes.length > 0
      ? nodes[0]!.endpoint
      : pick('endpoint', 'CONVERGE_ENDPOINT').value;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new CliError(
      `endpoint ${JSON.stringify(endpoint)} is not a URL (expected https://host:port)`,
      exitCodes.usage,
    );
  }
  if (url.protocol !== 'https:') {
    throw new CliError(`endpoint ${JSON.stringify(endpoint)} must use https://`, exitCodes.usage);
  }
  const pem = (key: 'ca' | 'cert' | 'key', envName: string, what: string) => {
    const p = pick(key, envName);
    return readPem(what, p.value, p.base, p.source);
  };
  return {
    endpoint,
    tls: {
      ca: pem('ca', 'CONVERGE_CA', 'CA certificate'),
      cert: pem('cert', 'CONVERGE_CERT', 'client certificate'),
      key: pem('key', 'CONVERGE_KEY', 'client key'),
    },
    nodes,
  };
}

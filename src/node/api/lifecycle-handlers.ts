/**
 * The node API's operations that change the machine: apply-config (with a dry-run diff), reboot and
 * shutdown. Bodies are bounded and checked against a schema before anything changes.
 */
import fastJsonPatch from 'fast-json-patch';
import { z } from 'zod';
import { ApiError } from '../../api/api-error.js';
import { parseBody, parseQuery, readBody, sendJsonText } from '../../api/http-io.js';
import type { ApiExtensionRequest } from '../../api/server.js';
import { isConfigError } from '../../resources/config/config-error.js';
import { parseMachineConfig } from '../../resources/config/load-config.js';
import { activeMachineConfigId, MachineConfigs } from '../../resources/config/machine-config.js';
import { isNotFoundError } from '../../runtime/errors.js';
import type { Node } from '../create-node.js';
import type { NdjsonStreamOptions } from './ndjson-stream.js';
import type { NodeRoute } from './node-routes.js';

/** What the process around the node does for the API: power operations and its address. */
export interface NodeLifecycle {
  /** The node's own address (what clients name with `-n`). */
  readonly address: string;
  /** Changes at every boot of the node: clients see that a reboot happened. */
  readonly bootId: string;
  /** Stops the node and ends the process, once the answer is on its way. */
  shutdown(): void;
  /** Stops the node and boots it again from its disk, once the answer is on its way. */
  reboot(): void;
}

/** The apply-config modes (as talosctl has them). */
export const applyConfigModes = ['auto', 'no-reboot'] as const;

const applyConfigBody = z.strictObject({
  /** The machine config as YAML text. */
  config: z.string().min(1),
  mode: z.enum(applyConfigModes).default('auto'),
  dryRun: z.boolean().default(false),
});

/** One change a new config makes, as an RFC 6902 operation with the value it replaces. */
export interface ConfigChange {
  readonly op: 'add' | 'remove' | 'replace';
  /** Dotted path, `machine.network.interfaces.0.addresses.1`. */
  readonly path: string;
  readonly old?: unknown;
  readonly value?: unknown;
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const p of pointer.split('/').slice(1)) {
    const key = p.replace(/~1/g, '/').replace(/~0/g, '~');
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  }
  return v;
}

/** The changes from `before` to `after`. */
export function configChanges(before: unknown, after: unknown): ConfigChange[] {
  const ops = fastJsonPatch.compare((before ?? {}) as object, after as object);
  return ops.flatMap((op): ConfigChange[] => {
    const path = op.path.split('/').slice(1).join('.').replace(/~1/g, '/').replace(/~0/g, '~');
    if (op.op === 'add') return [{ op: 'add', path, value: op.value }];
    if (op.op === 'remove') return [{ op: 'remove', path, old: valueAt(before, op.path) }];
    if (op.op === 'replace') return [{ op: 'replace', path, old: valueAt(before, op.path), value: op.value }];
    return [];
  });
}

async function activeConfig(node: Node): Promise<unknown> {
  try {
    return (await node.state.get(MachineConfigs.pointer(activeMachineConfigId))).spec;
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  }
}

async function readJson<T extends z.ZodType>(req: ApiExtensionRequest, schema: T): Promise<z.output<T>> {
  const body = await readBody(req.req, req.limits.maxBodyBytes);
  const raw = body.length === 0 ? {} : await parseBody(req.req, body, req.limits);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw new ApiError(400, 'MalformedBody', `invalid request body: ${issues.join('; ')}`);
  }
  return parsed.data;
}

async function applyConfig(node: Node, req: ApiExtensionRequest): Promise<void> {
  parseQuery(req.search, []);
  const body = await readJson(req, applyConfigBody);
  let next: unknown;
  try {
    next = parseMachineConfig(body.config);
  } catch (error) {
    if (isConfigError(error)) throw new ApiError(400, 'InvalidConfig', error.message);
    throw error;
  }
  const changes = configChanges(await activeConfig(node), next);
  if (!body.dryRun && changes.length > 0) await node.applyConfig(body.config);
  const message = body.dryRun
    ? `Dry run: ${changes.length} change(s) would be applied`
    : changes.length === 0
      ? 'Configuration unchanged'
      : 'Applied configuration without a reboot';
  sendJsonText(req.res, 200, JSON.stringify({ mode: body.mode, dryRun: body.dryRun, message, changes }));
}

/** Answers the lifecycle routes. */
export async function handleLifecycleRoute(
  host: NodeLifecycle & { node(): Node },
  route: NodeRoute,
  req: ApiExtensionRequest,
  _stream: NdjsonStreamOptions,
): Promise<void> {
  switch (route.name) {
    case 'applyConfig':
      await applyConfig(host.node(), req);
      return;
    case 'reboot':
    case 'shutdown': {
      parseQuery(req.search, []);
      const action = route.name;
      // The process acts once the answer has left, so the caller learns it was accepted.
      req.res.once('finish', () => (action === 'reboot' ? host.reboot() : host.shutdown()));
      sendJsonText(req.res, 202, JSON.stringify({ message: `${action} started` }));
      return;
    }
    default:
      throw new ApiError(404, 'RouteNotFound', `no route for ${JSON.stringify(req.path.slice(0, 200))}`);
  }
}

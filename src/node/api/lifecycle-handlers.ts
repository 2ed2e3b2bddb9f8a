/**
 * The node API's operations that change the machine: apply-config (modes, dry-run diff), config
 * history and diffs, upgrade (a stream of progress), rollback, reboot, shutdown and reset. Bodies
 * are bounded and checked against a schema before anything changes; a refusal is a 4xx with why.
 */
import { Observable } from 'rxjs';
import { z } from 'zod';
import { ApiError } from '../../api/api-error.js';
import { integerParam, parseBody, parseQuery, readBody, sendJsonText } from '../../api/http-io.js';
import type { ApiExtensionRequest } from '../../api/server.js';
import { isConfigError } from '../../resources/config/config-error.js';
import type { Node } from '../create-node.js';
import { bootstrapEtcd, EtcdBootstrapRefusedError } from '../etcd/etcd-operations.js';
import type { MachineEvent } from '../events/machine-event.js';
import { parseNodeImage } from '../lifecycle/node-image.js';
import { UpgradeRefusedError } from '../lifecycle/upgrade.js';
import { isSequenceError } from '../sequencer/sequence.js';
import { type NdjsonStreamOptions, streamNdjson } from './ndjson-stream.js';
import type { NodeRoute } from './node-routes.js';

/** What the process around the node does for the API: power operations and its address. */
export interface NodeLifecycle {
  /** The node's own address (what clients name with `-n`). */
  readonly address: string;
  /** Stops the node and ends the process, once the answer is on its way. */
  shutdown(): void;
  /** Reboots the node in place, once the answer is on its way. */
  reboot(): void;
  /** Wipes STATE and EPHEMERAL and reboots into maintenance, once the answer is on its way. */
  reset(graceful: boolean): void;
}

/** The apply-config modes, as talosctl has them. */
const applyConfigModes = ['auto', 'no-reboot', 'reboot', 'staged', 'try'] as const;

const applyConfigBody = z.strictObject({
  /** The machine config as YAML text. */
  config: z.string().min(1),
  mode: z.enum(applyConfigModes).default('auto'),
  dryRun: z.boolean().default(false),
  /** `try` only: when the previous config comes back. */
  tryTimeoutSeconds: z.number().int().positive().max(86_400).optional(),
});

const upgradeBody = z.strictObject({
  /** The image: `{ version, description?, failsToBoot?, failingServices? }`, or a version string. */
  image: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  stage: z.boolean().default(false),
  noReboot: z.boolean().default(false),
  force: z.boolean().default(false),
  /** Keep the stream open until the node booted the new version (or reverted). */
  wait: z.boolean().default(true),
});

const resetBody = z.strictObject({ graceful: z.boolean().default(true) });

const emptyBody = z.strictObject({});

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

/** Node refusals as API errors: a bad config 400, a refused or overlapping operation 409. */
function refusal(error: unknown): unknown {
  if (isConfigError(error)) return new ApiError(400, 'InvalidConfig', error.message);
  if (error instanceof UpgradeRefusedError) return new ApiError(409, 'Refused', error.message);
  if (isSequenceError(error)) return new ApiError(409, 'SequenceRefused', error.message);
  if (error instanceof EtcdBootstrapRefusedError) return new ApiError(409, 'Refused', error.message);
  return error;
}

async function refused<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw refusal(error);
  }
}

const applyMessages: Record<(typeof applyConfigModes)[number], string> = {
  auto: 'Applied configuration without a reboot',
  'no-reboot': 'Applied configuration without a reboot',
  reboot: 'Applied configuration, the node reboots',
  staged: 'Staged configuration to be applied after the next reboot',
  try: 'Applied configuration without a reboot, will be automatically reverted back',
};

async function applyConfig(node: Node, req: ApiExtensionRequest): Promise<void> {
  parseQuery(req.search, []);
  const body = await readJson(req, applyConfigBody);
  const result = await refused(() =>
    node.applyConfig(body.config, {
      mode: body.mode,
      dryRun: body.dryRun,
      by: req.identity.name,
      ...(body.tryTimeoutSeconds !== undefined ? { tryTimeoutMs: body.tryTimeoutSeconds * 1_000 } : {}),
    }),
  );
  const tryNote = body.mode === 'try' ? ` in ${body.tryTimeoutSeconds ?? 60}s` : '';
  const message = result.dryRun
    ? `Dry run: mode ${result.mode}, nothing applied`
    : `${applyMessages[body.mode]}${tryNote}${result.version !== undefined ? ` (config version ${result.version})` : ''}`;
  sendJsonText(req.res, 200, JSON.stringify({ ...result, message }));
}

/** The events that show an operation's progress. */
function isProgress(e: MachineEvent): boolean {
  return e.type === 'lifecycle' || e.type === 'sequence' || e.type === 'phase';
}

/** Upgrades, streaming the node's progress events, the result, and (with `wait`) the booted version. */
function upgradeStream(node: Node, body: z.output<typeof upgradeBody>, image: unknown): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    const progress = node.events.events().subscribe((e) => {
      if (isProgress(e)) subscriber.next({ type: 'progress', event: e });
    });
    const run = async () => {
      const result = await refused(() =>
        node.upgrade({ image, stage: body.stage, noReboot: body.noReboot, force: body.force }),
      );
      subscriber.next({ type: 'result', ...result });
      if (body.wait && !body.stage && !body.noReboot) {
        await node.booted();
        const running = node.version();
        subscriber.next({ type: 'booted', version: running.image.version, slot: running.slot });
      }
    };
    run().then(
      () => subscriber.complete(),
      (error: unknown) => subscriber.error(error),
    );
    return () => progress.unsubscribe();
  });
}

/** Answers the lifecycle routes. */
export async function handleLifecycleRoute(
  host: NodeLifecycle & { node(): Node },
  route: NodeRoute,
  req: ApiExtensionRequest,
  stream: NdjsonStreamOptions,
): Promise<void> {
  const node = host.node();
  switch (route.name) {
    case 'applyConfig':
      await applyConfig(node, req);
      return;
    case 'configHistory': {
      parseQuery(req.search, []);
      sendJsonText(req.res, 200, JSON.stringify({ history: await node.configHistory() }));
      return;
    }
    case 'configDiff': {
      const params = parseQuery(req.search, ['from', 'to']);
      const from = integerParam(params, 'from', 1_000_000_000);
      const to = integerParam(params, 'to', 1_000_000_000);
      if (from === undefined || to === undefined)
        throw new ApiError(400, 'BadRequest', 'from and to are required');
      const diff = await refused(() => node.configDiff(from, to)).catch((error: unknown) => {
        throw error instanceof ApiError ? error : new ApiError(404, 'NotFound', (error as Error).message);
      });
      sendJsonText(req.res, 200, JSON.stringify({ from, to, diff }));
      return;
    }
    case 'upgrade': {
      parseQuery(req.search, []);
      const body = await readJson(req, upgradeBody);
      let image: unknown;
      try {
        image = parseNodeImage(typeof body.image === 'string' ? { version: body.image } : body.image);
      } catch (error) {
        throw new ApiError(400, 'MalformedBody', `invalid image: ${(error as Error).message}`);
      }
      await streamNdjson(req.res, upgradeStream(node, body, image), stream);
      return;
    }
    case 'rollback': {
      parseQuery(req.search, []);
      await readJson(req, emptyBody);
      const slot = await refused(() => node.rollback());
      sendJsonText(req.res, 200, JSON.stringify({ message: `rolling back to slot ${slot}`, slot }));
      return;
    }
    case 'bootstrap': {
      parseQuery(req.search, []);
      await readJson(req, emptyBody);
      await refused(() => bootstrapEtcd({ state: node.state, supervisor: node.supervisor }));
      sendJsonText(req.res, 200, JSON.stringify({ message: 'etcd bootstrap started' }));
      return;
    }
    case 'reset': {
      parseQuery(req.search, []);
      const body = await readJson(req, resetBody);
      req.res.once('finish', () => host.reset(body.graceful));
      sendJsonText(req.res, 202, JSON.stringify({ message: 'reset started' }));
      return;
    }
    case 'reboot':
    case 'shutdown': {
      parseQuery(req.search, []);
      await readJson(req, emptyBody);
      const action = route.name;
      // The node acts once the answer has left, so the caller learns it was accepted.
      req.res.once('finish', () => (action === 'reboot' ? host.reboot() : host.shutdown()));
      sendJsonText(req.res, 202, JSON.stringify({ message: `${action} started` }));
      return;
    }
    default:
      throw new ApiError(404, 'RouteNotFound', `no route for ${JSON.stringify(req.path.slice(0, 200))}`);
  }
}

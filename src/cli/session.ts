import { z } from 'zod';
import type { DefinitionSpec } from '../api/access-policy.js';
import { ApiTransport, withQuery } from '../api/http-client.js';
import { createRemoteState, transactionOpToWire } from '../api/remote-state.js';
import { apiPrefix, resourcePath } from '../api/routes.js';
import { freezeWire } from '../api/wire.js';
import { defineResource, lookupDefinition } from '../runtime/resource/define-resource.js';
import { definitionMatchesName, ResourceDefinitions } from '../runtime/resource/meta.js';
import type { AnyResource } from '../runtime/resource/resource.js';
import type { State, TransactionOp } from '../runtime/state/state.js';
import { type ConnectionFlags, resolveConnection } from './config.js';
import { CliError, exitCodes } from './exit-codes.js';

/** A connection to the API plus what the CLI learns from it: the resource definitions. */
export interface Session {
  readonly state: State;
  /** The API's URL. */
  readonly endpoint: string;
  /** Resolves when the API answers (who am I), rejects as a call would. */
  ping(): Promise<void>;
  /** The type a name or alias stands for (`rd`, `items`, `Items.test.dev`). */
  resolveType(name: string): Promise<DefinitionSpec>;
  /**
   * Registers the server's types in this process with permissive schemas, so manifests resolve
   * aliases and default namespaces here; the server checks specs against the real schemas.
   */
  registerDefinitions(): Promise<void>;
  /** Checks the ops on the server's real write path without committing them; throws what the real write would. */
  dryRun(ops: readonly TransactionOp[]): Promise<void>;
  /** The resource as the server's schema normalises it (defaults filled), without storing it. */
  normalize(resource: AnyResource): Promise<AnyResource>;
  close(): Promise<void>;
}

/** How a session's watches behave. */
export interface SessionOptions {
  /**
   * Watches fail at the first dropped connection instead of resuming by themselves, for callers
   * that resume and report it themselves (`get -w`).
   */
  readonly reportDrops?: boolean;
}

/** Connects with the flags, environment or config file. */
export function openSession(flags: ConnectionFlags, options: SessionOptions = {}): Session {
  const connection = resolveConnection(flags);
  const state = createRemoteState({
    url: connection.endpoint,
    tls: connection.tls,
    ...(options.reportDrops ? { watchRetry: { maxRetryMs: 0 } } : {}),
  });
  const transport = new ApiTransport(connection.endpoint, connection.tls, { maxSockets: 4 });
  let cached: Promise<DefinitionSpec[]> | undefined;
  const definitions = () => {
    cached ??= state
      .list(ResourceDefinitions.kind())
      .then((items) => items.map((r) => r.spec as DefinitionSpec));
    return cached;
  };
  return {
    state,
    endpoint: connection.endpoint,
    async ping() {
      await transport.json('GET', '/v1/whoami');
    },
    async resolveType(name) {
      const all = await definitions();
      const exact = all.find((d) => d.type === name);
      if (exact !== undefined) return exact;
      const matches = all.filter((d) => definitionMatchesName(d, name));
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) {
        throw new CliError(
          `resource type ${JSON.stringify(name)} is ambiguous: ${matches.map((d) => d.type).join(', ')}`,
          exitCodes.usage,
        );
      }
      throw new CliError(
        `unknown resource type ${JSON.stringify(name)} (see \`converge get rd\` for the types and aliases)`,
        exitCodes.notFound,
      );
    },
    async registerDefinitions() {
      for (const d of await definitions()) {
        if (lookupDefinition(d.type) !== undefined) continue;
        defineResource({
          type: d.type,
          spec: z.unknown(),
          defaultNamespace: d.defaultNamespace,
          aliases: d.allAliases,
          skipAutomaticAliases: true,
          printColumns: d.printColumns,
          sensitive: d.sensitivity === 'sensitive',
        });
      }
    },
    async dryRun(ops) {
      await transport.json('POST', withQuery(`${apiPrefix}/transaction`, { dryRun: 'true' }), {
        ops: ops.map(transactionOpToWire),
      });
    },
    async normalize(resource) {
      const m = resource.metadata;
      const path = withQuery(resourcePath(m.namespace, m.type), { validateOnly: 'true' });
      const body = {
        metadata: {
          namespace: m.namespace,
          type: m.type,
          id: m.id,
          labels: m.labels,
          annotations: m.annotations,
        },
        spec: resource.spec,
      };
      return freezeWire(await transport.json<AnyResource>('POST', path, body));
    },
    close: async () => {
      transport.close();
      await state.close?.();
    },
  };
}

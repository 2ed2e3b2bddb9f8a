/**
 * Example 01: define two resource types, write them, watch them, print them.
 *
 * Run: npm start   (or: npx tsx --conditions=source examples/01-resources-and-watches/main.ts)
 */
import {
  type AnyResource,
  createState,
  defineResource,
  diffResources,
  isTombstone,
  label,
  type ResourceOf,
  resourceToYaml,
} from 'converge';
import { z } from 'zod';

// 1. Define resource types: the zod schema is the source of truth for the spec's type.
const Servers = defineResource({
  type: 'Servers.example.converge.dev',
  spec: z.object({ host: z.string(), port: z.number().int().min(1).max(65_535) }),
  printColumns: [{ name: 'Host', jsonPath: '{.host}' }],
});
const Endpoints = defineResource({
  type: 'Endpoints.example.converge.dev',
  spec: z.object({ url: z.string().url(), healthy: z.boolean().default(false) }),
});
type Server = ResourceOf<typeof Servers>;

const out = (line: string) => process.stdout.write(`${line}\n`);

// 2. A store, and a watch on each kind: bootstrap the current contents, then every change.
const state = createState();
const serverWatch = state
  .watchKind(Servers.kind(), { bootstrapContents: true, labelQuery: [label.equal('tier', 'front')] })
  .subscribe((event) => {
    if (event.type === 'bootstrapped') out('servers: bootstrapped, now live');
    else if (event.type !== 'noop') out(`servers: ${event.type} ${event.resource.metadata.id}`);
  });
// What an update changed: the spec, the finalizers, or the phase (teardown).
const why = (old: AnyResource, now: AnyResource): string => {
  const added = now.metadata.finalizers.filter((f) => !old.metadata.finalizers.includes(f));
  const removed = old.metadata.finalizers.filter((f) => !now.metadata.finalizers.includes(f));
  const reasons = [
    ...(JSON.stringify(old.spec) !== JSON.stringify(now.spec) ? ['spec changed'] : []),
    ...added.map((f) => `finalizer ${f} added`),
    ...removed.map((f) => `finalizer ${f} removed`),
    ...(old.metadata.phase !== now.metadata.phase ? [`teardown (phase ${now.metadata.phase})`] : []),
  ];
  return reasons.length > 0 ? `: ${reasons.join(', ')}` : '';
};
const endpointWatch = state.watch(Endpoints.pointer('web')).subscribe((event) => {
  if (event.type === 'noop' || event.type === 'bootstrapped') return;
  // A single watch starts with the current state; a resource that does not exist yet arrives as a
  // tombstone (a `destroyed` event whose spec is null), which says "nothing here yet".
  if (isTombstone(event.resource)) {
    out('endpoint web: does not exist yet');
    return;
  }
  const detail = event.type === 'updated' ? why(event.old, event.resource) : '';
  out(`endpoint web: ${event.type} (version ${event.resource.metadata.version})${detail}`);
});

// 3. Write: create, update through an immer draft, modify (create-or-update).
const web: Server = await state.create(
  Servers.make('web', { host: 'web.local', port: 80 }, { labels: { tier: 'front' } }),
);
const moved = await state.updateWithConflicts(Servers.pointer('web'), (draft) => {
  draft.spec.port = 8080;
});
await state.create(Servers.make('db', { host: 'db.local', port: 5432 }, { labels: { tier: 'back' } }));
await state.modify(Endpoints.make('web', { url: 'http://web.local:8080' }), (draft) => {
  draft.spec.healthy = true;
});

// 4. Bad input changes nothing: the spec fails its schema.
try {
  await state.create(Servers.make('bad', { host: 'x', port: 70_000 }));
} catch (error) {
  out(`rejected: ${(error as Error).message}`);
}

// 5. Print: YAML in COSI's key order, and the RFC 6902 diff between two versions.
out('---');
out(resourceToYaml(moved).trimEnd());
out(
  `diff v${web.metadata.version} -> v${moved.metadata.version}: ${JSON.stringify(diffResources(web, moved).filter((op) => op.path.startsWith('/spec')))}`,
);
out(`servers by id: ${(await state.list(Servers.kind())).map((s) => s.metadata.id).join(', ')}`);

// 6. Teardown with a finalizer: destroy waits until the finalizer is released.
await state.addFinalizer(Endpoints.pointer('web'), 'example-cleanup');
const destroyed = state.teardownAndDestroy(Endpoints.pointer('web'));
await state.removeFinalizer(Endpoints.pointer('web'), 'example-cleanup');
await destroyed;

await state.delivered?.();
serverWatch.unsubscribe();
endpointWatch.unsubscribe();

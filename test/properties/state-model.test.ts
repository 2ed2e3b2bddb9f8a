import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnyResource, createState, type WatchEvent } from '../../src/index.js';
import { Items, type Model, type Real, stateCommands } from './state-model-commands.js';

/** `FC_SEED=<n>` replays a failure (fast-check prints the seed and path of every failure); `FC_RUNS=<n>` sets the run count. */
const seed = process.env.FC_SEED === undefined ? {} : { seed: Number(process.env.FC_SEED) };
const numRuns = Number(process.env.FC_RUNS ?? 1_200);

const key = (e: WatchEvent) =>
  e.type === 'created' || e.type === 'updated' || e.type === 'destroyed'
    ? `${e.type} ${e.resource.metadata.id}@${e.resource.metadata.version}`
    : e.type;

/** The resources a stream of events leaves behind, as `id@version=value|phase`, sorted by id. */
function replay(events: readonly WatchEvent[]): string[] {
  const byId = new Map<string, AnyResource>();
  for (const e of events) {
    if (e.type === 'created' || e.type === 'updated') byId.set(e.resource.metadata.id, e.resource);
    else if (e.type === 'destroyed') byId.delete(e.resource.metadata.id);
  }
  return summary([...byId.values()].sort((a, b) => (a.metadata.id < b.metadata.id ? -1 : 1)));
}

const summary = (resources: readonly AnyResource[]) =>
  resources.map(
    (r) =>
      `${r.metadata.id}@${r.metadata.version}=${JSON.stringify(r.spec)}|${r.metadata.phase}|${r.metadata.owner}|${[...r.metadata.finalizers].sort()}`,
  );

/** After the commands: every bootstrap watch replays to `list()`, every bookmark resumes the rest. */
async function checkStreams(real: Real): Promise<void> {
  const { state } = real;
  await state.delivered!();
  expect(real.errors).toEqual([]);
  const listed = summary(await state.list(Items.kind()));
  for (const events of real.bootstraps) {
    const cut = events.findIndex((e) => e.type === 'bootstrapped');
    expect(cut).toBeGreaterThanOrEqual(0);
    expect(events.slice(0, cut).every((e) => e.type === 'created')).toBe(true);
    expect(replay(events)).toEqual(listed);
  }
  const history = real.history;
  expect(history[0]?.type).toBe('noop');
  expect(replay(history)).toEqual(listed);
  const resumed = history.map((e) => {
    const got: WatchEvent[] = [];
    const sub = state.watchKind(Items.kind(), { startFromBookmark: e.bookmark! }).subscribe({
      next: (x) => got.push(x),
      error: (x: unknown) => real.errors.push(x),
    });
    real.stop.push(() => sub.unsubscribe());
    return got;
  });
  await state.delivered!();
  expect(real.errors).toEqual([]);
  history.forEach((e, i) => {
    expect(resumed[i]!.map(key), `resuming after event ${i} (${key(e)})`).toEqual(
      history.slice(i + 1).map(key),
    );
    // The very same event objects, not copies.
    for (const [j, x] of resumed[i]!.entries()) expect(x).toBe(history[i + 1 + j]);
  });
}

describe('state model', () => {
  it('should agree with a reference model on every step, and replay and resume its streams exactly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(stateCommands, { maxCommands: 40 }), async (commands) => {
        const state = createState({ history: { initialCapacity: 16, maxCapacity: 4_096, gap: 2 } });
        const real: Real = { state, history: [], bootstraps: [], errors: [], stop: [] };
        const sub = state.watchKind(Items.kind(), { bootstrapBookmark: true }).subscribe({
          next: (e) => real.history.push(e),
          error: (e: unknown) => real.errors.push(e),
        });
        real.stop.push(() => sub.unsubscribe());
        try {
          await fc.asyncModelRun(() => ({ model: { entries: new Map() } satisfies Model, real }), commands);
          await checkStreams(real);
        } finally {
          for (const stop of real.stop) stop();
        }
      }),
      { numRuns, ...seed },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/api-error.js';
import {
  startWatch,
  stepWatch,
  type WatchInput,
  type WatchMachine,
  type WatchStep,
} from '../../src/api/remote-watch-machine.js';
import { InvalidBookmarkError } from '../../src/runtime/errors.js';
import { Items } from './helpers/fixture.js';

const limits = { minBackoffMs: 10, maxBackoffMs: 40, maxRetryMs: 1_000 };
const unavailable = () => new ApiError(0, 'Unavailable', 'connection reset');

/** Feeds `inputs` to the machine from `from` and returns every step, the last one last. */
function run(from: WatchMachine, ...inputs: WatchInput[]): WatchStep[] {
  const steps: WatchStep[] = [];
  let m = from;
  for (const input of inputs) {
    const step = stepWatch(m, input, limits);
    steps.push(step);
    m = step.machine;
  }
  return steps;
}

const last = (steps: WatchStep[]): WatchStep => steps[steps.length - 1]!;
const types = (step: WatchStep) => step.effects.map((e) => e.type);

/** A watch streaming on connection 1 that has delivered bookmark `b1`. */
function streaming(): WatchMachine {
  return last(
    run(
      startWatch().machine,
      { type: 'answered', connection: 1, ok: true },
      { type: 'received', connection: 1 },
      { type: 'bookmarked', connection: 1, bookmark: 'b1' },
    ),
  ).machine;
}

/** The watch of {@link streaming} after its connection dropped at time 0: in backoff. */
function backoff(): WatchMachine {
  return last(run(streaming(), { type: 'dropped', connection: 1, error: unavailable(), now: 0 })).machine;
}

describe('remote watch machine', () => {
  it('should open the first connection without a bookmark and stream once answered', () => {
    const start = startWatch();
    expect(start.machine.phase).toBe('connecting');
    expect(start.effects).toEqual([{ type: 'open', connection: 1, bookmark: undefined }]);
    const answered = stepWatch(start.machine, { type: 'answered', connection: 1, ok: true }, limits);
    expect(answered.machine).toMatchObject({ phase: 'streaming', everConnected: true });
    expect(types(answered)).toEqual(['settle-opening']);
  });

  it('should stop for good when closed during backoff: the retry timer is released and a late retry opens nothing', () => {
    const unsubscribed = stepWatch(backoff(), { type: 'unsubscribed' }, limits);
    expect(unsubscribed.machine.phase).toBe('closed');
    expect(types(unsubscribed)).toEqual(['release']);
    const lateRetry = stepWatch(unsubscribed.machine, { type: 'retry' }, limits);
    expect(lateRetry.machine.phase).toBe('closed');
    expect(lateRetry.effects).toEqual([]);
    const completed = stepWatch(backoff(), { type: 'completed' }, limits);
    expect(completed.machine.phase).toBe('closed');
    expect(types(completed)).toEqual(['release', 'complete']);
  });

  it('should resume from the last bookmark and end with the error when the server says that bookmark is gone', () => {
    const gone = new InvalidBookmarkError(Items.kind(), 'bookmark is older than the retained history');
    const steps = run(
      backoff(),
      { type: 'retry' },
      { type: 'answered', connection: 2, ok: false },
      { type: 'dropped', connection: 2, error: gone, now: 20 },
    );
    expect(steps[0]!.effects).toEqual([{ type: 'open', connection: 2, bookmark: 'b1' }]);
    expect(steps[1]!.machine.phase).toBe('connecting');
    expect(types(steps[1]!)).toEqual(['settle-opening']);
    const end = last(steps);
    expect(end.machine.phase).toBe('closed');
    expect(end.effects).toEqual([{ type: 'release' }, { type: 'error', error: gone }]);
  });

  it('should double the backoff up to its cap, and start again from the minimum once the stream delivers', () => {
    const delays: number[] = [];
    let m = streaming();
    for (let i = 0; i < 4; i++) {
      const [dropped, retried] = run(
        m,
        { type: 'dropped', connection: m.connection, error: unavailable(), now: i },
        { type: 'retry' },
      );
      const wait = dropped!.effects.find((e) => e.type === 'wait');
      delays.push(wait?.type === 'wait' ? wait.delay : Number.NaN);
      m = retried!.machine;
    }
    expect(delays).toEqual([10, 20, 40, 40]);
    const again = run(
      m,
      { type: 'answered', connection: m.connection, ok: true },
      { type: 'received', connection: m.connection },
      { type: 'dropped', connection: m.connection, error: unavailable(), now: 100 },
    );
    expect(last(again).effects).toContainEqual({ type: 'wait', delay: 10, reason: expect.anything() });
  });

  it('should give up maxRetryMs after the first failure of a run, not after the last', () => {
    let m = backoff();
    const retryAt = (now: number) =>
      run(m, { type: 'retry' }, { type: 'dropped', connection: m.connection + 1, error: unavailable(), now });
    const early = retryAt(999);
    expect(last(early).machine.phase).toBe('backoff');
    m = last(early).machine;
    const late = retryAt(1_000);
    expect(last(late).machine.phase).toBe('closed');
    expect(types(last(late))).toEqual(['release', 'error']);
  });

  it('should fail at once on a refused certificate before any answer, and retry one after a success', () => {
    const refused = new ApiError(0, 'CertificateRefused', 'certificate refused');
    const first = stepWatch(
      startWatch().machine,
      { type: 'dropped', connection: 1, error: refused, now: 0 },
      limits,
    );
    expect(first.machine.phase).toBe('closed');
    const later = stepWatch(streaming(), { type: 'dropped', connection: 1, error: refused, now: 0 }, limits);
    expect(later.machine.phase).toBe('backoff');
  });

  it('should not retry what the server decided (a 403), nor an error line on the stream', () => {
    const forbidden = new ApiError(403, 'Forbidden', 'no');
    expect(
      stepWatch(startWatch().machine, { type: 'dropped', connection: 1, error: forbidden, now: 0 }, limits)
        .machine.phase,
    ).toBe('closed');
    const failed = stepWatch(streaming(), { type: 'failed', connection: 1, error: forbidden }, limits);
    expect(failed.effects).toEqual([{ type: 'release' }, { type: 'error', error: forbidden }]);
  });

  it('should ignore reports of an earlier connection, and a second end of the same one', () => {
    const reconnecting = stepWatch(backoff(), { type: 'retry' }, limits).machine;
    for (const stale of [
      { type: 'dropped', connection: 1, error: unavailable(), now: 5 },
      { type: 'answered', connection: 1, ok: true },
      { type: 'bookmarked', connection: 1, bookmark: 'old' },
      { type: 'failed', connection: 1, error: unavailable() },
    ] as const) {
      const step = stepWatch(reconnecting, stale, limits);
      expect(step.machine).toBe(reconnecting);
      expect(step.effects).toEqual([]);
    }
    const twice = stepWatch(
      backoff(),
      { type: 'dropped', connection: 1, error: unavailable(), now: 1 },
      limits,
    );
    expect(twice.effects).toEqual([]);
  });

  it('should keep the bookmark of the stream and resume from it, not from the first one', () => {
    const m = last(run(streaming(), { type: 'bookmarked', connection: 1, bookmark: 'b2' })).machine;
    const [, retried] = run(
      m,
      { type: 'dropped', connection: 1, error: unavailable(), now: 0 },
      { type: 'retry' },
    );
    expect(retried!.effects).toEqual([{ type: 'open', connection: 2, bookmark: 'b2' }]);
  });
});

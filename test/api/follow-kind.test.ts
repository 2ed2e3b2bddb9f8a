import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { followKind } from '../../src/api/follow-kind.js';
import { type CoreState, defineResource, type WatchEvent, type WatchKindOptions } from '../../src/index.js';
import { createVirtualClock } from '../../src/testing/index.js';

const Followed = defineResource({ type: 'FollowKindTests.test.dev', spec: z.strictObject({}) });

/** A state whose every kind watch is a subject the test drives, and a logger that keeps its lines. */
function setup() {
  const watches: { subject: Subject<WatchEvent>; options: WatchKindOptions | undefined }[] = [];
  const watchKind = (_kind: unknown, options?: WatchKindOptions) => {
    const subject = new Subject<WatchEvent>();
    watches.push({ subject, options });
    return subject.asObservable();
  };
  const state = { watchKind: watchKind as CoreState['watchKind'] };
  const lines: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(JSON.parse(String(chunk)).msg));
        done();
      },
    }),
  );
  const clock = createVirtualClock();
  return { watches, state, lines, logger, clock };
}

describe('followKind', () => {
  it('should follow from the start and, after each failure, again after 50 ms doubling up to 5 s', async () => {
    const { watches, state, lines, logger, clock } = setup();
    const seen: string[] = [];
    let dropped = 0;
    const followed = followKind(state, Followed.kind(), (e) => seen.push(e.type), {
      clock,
      logger,
      failure: 'test watch failed; following again',
      onFailure: () => dropped++,
    });
    expect(watches).toHaveLength(1);
    expect(watches[0]!.options).toEqual({ bootstrapContents: true });
    watches[0]!.subject.next({ type: 'bootstrapped' } as WatchEvent);
    expect(seen).toEqual(['bootstrapped']);

    const delays: number[] = [];
    for (let attempt = 0; attempt < 9; attempt++) {
      watches.at(-1)!.subject.error(new Error('lost'));
      const failedAt = clock.now();
      expect(clock.pending()).toBe(1);
      await clock.runUntilIdle();
      delays.push(clock.now() - failedAt);
    }
    expect(delays).toEqual([50, 100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
    expect(watches).toHaveLength(10);
    expect(dropped).toBe(9);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.filter((l) => l === 'test watch failed; following again')).toHaveLength(9);
    followed.stop();
  });

  it('should stop: no events after it, and a pending retry never runs', async () => {
    const { watches, state, logger, clock } = setup();
    const seen: string[] = [];
    const followed = followKind(state, Followed.kind(), (e) => seen.push(e.type), {
      clock,
      logger,
      failure: 'failed',
    });
    watches[0]!.subject.error(new Error('lost'));
    expect(clock.pending()).toBe(1);
    followed.stop();
    expect(clock.pending()).toBe(0);
    await clock.advance(10_000);
    expect(watches).toHaveLength(1);

    const again = followKind(state, Followed.kind(), (e) => seen.push(e.type), {
      clock,
      logger,
      failure: 'f',
    });
    again.stop();
    watches[1]!.subject.next({ type: 'bootstrapped' } as WatchEvent);
    expect(seen).toEqual([]);
  });
});

import type { Logger } from 'pino';
import type { TimerHandle } from '../clock.js';
import { AccessError } from '../errors.js';
import { formatPointer, makePointer, type Pointer } from '../resource/pointer.js';
import type { AnyResource } from '../resource/resource.js';
import { AccessPolicy } from './access-policy.js';
import { backoffDelay } from './backoff.js';
import { Context, type ContextHost } from './context.js';
import { type QControllerDefinition, requeueDelay } from './define-controller.js';
import type { ExternalSource } from './external-source.js';
import { FailureStreak } from './failure-streak.js';
import { stoppingReason } from './full-runner.js';
import {
  type AnyInput,
  type ControllerOutput,
  isDestroyReady,
  kindKey,
  type MapResult,
  type QControllerInput,
} from './inputs.js';
import type { KindChange } from './kind-watch.js';
import { LazyAbort } from './lazy-abort.js';
import { type ControllerMetrics, newCounters } from './metrics.js';
import { type QueueEntry, WorkQueue } from './queue.js';
import { contextHostOf, type Runner, type RunnerHost } from './runner.js';

type Job =
  | { readonly kind: 'reconcile'; readonly pointer: Pointer }
  | { readonly kind: 'map'; readonly input: QControllerInput; readonly resource: AnyResource };

interface InFlight {
  readonly abort: LazyAbort;
  readonly startPhase: string;
  readonly done: Promise<void>;
}

/** The reason a queue item's `ctx.signal` carries when its resource tears down. @internal */
function teardownReason(key: string): DOMException {
  return new DOMException(`${key} is tearing down`, 'AbortError');
}

/**
 * Runs one queue controller: items keyed by pointer, deduplicated, up to `concurrency` at once,
 * one key never concurrently with itself, per-item backoff on failure, `requeueAfter` per item.
 * Mapped inputs are queued as map jobs whose results become reconcile items. @internal
 */
export class QRunner implements Runner {
  readonly controllerType = 'queue' as const;
  readonly name: string;
  readonly logger: Logger;
  readonly outputs: readonly ControllerOutput[];
  readonly sources: readonly ExternalSource[];
  inputs: readonly AnyInput[];

  readonly #definition: QControllerDefinition;
  readonly #host: RunnerHost;
  readonly #contextHost: ContextHost;
  readonly #concurrency: number;
  readonly #queue: WorkQueue<Job>;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #timers = new Set<TimerHandle>();
  #policy: AccessPolicy;
  /** Primary kinds (`ns\0type`) of every id, and id-specific primaries (`ns\0type\0id`). */
  #primaryKinds = new Set<string>();
  #primaryIds = new Set<string>();
  #scheduled = 0;
  #started = false;
  #stopped = false;
  #seq = 0;
  #sourceListing = false;
  #sourceAgain = false;
  /** Items whose last run failed. */
  #failing = 0;
  /** From the first item failing to none failing: logged once, however many items fail meanwhile. */
  readonly #streak: FailureStreak;
  readonly #counters = newCounters();

  constructor(definition: QControllerDefinition, host: RunnerHost, logger: Logger) {
    this.#definition = definition;
    this.#host = host;
    this.#streak = new FailureStreak(host.clock);
    this.name = definition.name;
    this.logger = logger;
    this.inputs = Object.freeze([...definition.inputs]);
    this.outputs = Object.freeze([...definition.outputs]);
    this.sources = Object.freeze([...(definition.sources ?? [])]);
    this.#concurrency = definition.concurrency ?? 1;
    this.#queue = new WorkQueue(host.clock, () => this.#pump());
    this.#policy = this.#rebuild();
    this.#contextHost = contextHostOf(this, host, () => this.#policy);
  }

  start(): void {
    this.#started = true;
    for (const i of this.inputs) if (i.kind === 'primary') this.#listPrimary(i);
    this.#pump();
  }

  trigger(input: AnyInput, change: KindChange): void {
    const r = change.resource;
    if (input.kind === 'primary') {
      const { namespace, type, id } = r.metadata;
      const key = `${namespace}\0${type}\0${id}`;
      const running = this.#inFlight.get(key);
      if (
        running !== undefined &&
        !running.abort.aborted &&
        (change.type === 'destroyed' ||
          (r.metadata.phase === 'tearingDown' && running.startPhase !== 'tearingDown'))
      ) {
        running.abort.abort(teardownReason(formatPointer(r.metadata)));
      }
      this.#queue.put(key, { kind: 'reconcile', pointer: makePointer(namespace, type, id) });
    } else if (input.kind === 'mapped' || (input.kind === 'mappedDestroyReady' && isDestroyReady(r))) {
      const { namespace, type, id } = r.metadata;
      this.#queue.put(`map\0${namespace}\0${type}\0${id}`, {
        kind: 'map',
        input: input as QControllerInput,
        resource: r,
      });
    }
  }

  inputsChanged(added: readonly AnyInput[]): void {
    this.#policy = this.#rebuild();
    if (!this.#started || this.#stopped) return;
    for (const i of added) if (i.kind === 'primary') this.#listPrimary(i);
  }

  sourceChanged(): void {
    // Before start nothing is lost: start lists every primary anyway.
    if (!this.#started || this.#stopped) return;
    // One listing at a time: emissions during it coalesce into one more.
    if (this.#sourceListing) {
      this.#sourceAgain = true;
      return;
    }
    this.#sourceListing = true;
    const primaries = this.inputs.filter((i) => i.kind === 'primary');
    let left = primaries.length;
    const done = () => {
      if (--left > 0) return;
      this.#sourceListing = false;
      if (this.#sourceAgain) {
        this.#sourceAgain = false;
        this.sourceChanged();
      }
    };
    for (const i of primaries) this.#listPrimary(i, done);
  }

  resync(): void {
    // Nothing to add: a queue controller only reconciles ids it was handed, and the re-list diff
    // hands on every id the watch knew or finds, as created, updated or destroyed.
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#failing = 0;
    this.#streak.reset();
    this.#queue.clear();
    for (const t of this.#timers) this.#host.clock.clearTimeout(t);
    this.#timers.clear();
    const running = [...this.#inFlight.values()];
    for (const f of running) f.abort.abort(stoppingReason());
    await Promise.all(running.map((f) => f.done));
    this.#host.setBusy(this, false);
  }

  failures(): number {
    return this.#failing;
  }

  metrics(): ControllerMetrics {
    return {
      ...this.#counters,
      queueDepth: this.#queue.readyCount + this.#queue.delayedCount,
      inFlight: this.#inFlight.size,
      failures: this.#failing,
    };
  }

  #rebuild(): AccessPolicy {
    this.#primaryKinds = new Set();
    this.#primaryIds = new Set();
    for (const i of this.inputs) {
      if (i.kind !== 'primary') continue;
      const key = kindKey(i.namespace, i.type);
      if (i.id === undefined) this.#primaryKinds.add(key);
      else this.#primaryIds.add(`${key}\0${i.id}`);
    }
    return new AccessPolicy(this.name, this.inputs, this.outputs);
  }

  /** Queues every existing resource of a primary input (at start, and when one is added). */
  #listPrimary(input: AnyInput, listed?: () => void, streak = new FailureStreak(this.#host.clock)): void {
    const { state } = this.#host;
    this.#host.busy(1);
    state
      .list({ namespace: input.namespace, type: input.type })
      .then(
        (resources) => {
          if (this.#stopped) return;
          streak.recovered(this.logger, 'listing a primary input recovered', { type: input.type });
          for (const r of resources) {
            const { namespace, type, id } = r.metadata;
            if (input.id !== undefined && id !== input.id) continue;
            this.#queue.put(`${namespace}\0${type}\0${id}`, {
              kind: 'reconcile',
              pointer: makePointer(namespace, type, id),
            });
          }
          listed?.();
        },
        (error: unknown) => {
          if (this.#stopped) return;
          const delay = backoffDelay(streak.attempts + 1, this.#host.backoff, this.#host.random);
          streak.failed(this.logger, 'listing a primary input failed', error, {
            type: input.type,
            attempt: streak.attempts + 1,
            retryInMs: delay,
          });
          const timer = this.#host.clock.setTimeout(() => {
            this.#timers.delete(timer);
            this.#listPrimary(input, listed, streak);
          }, delay);
          this.#timers.add(timer);
        },
      )
      .finally(() => this.#host.busy(-1));
  }

  #pump(): void {
    if (!this.#started || this.#stopped) return;
    while (this.#scheduled < this.#concurrency) {
      const entry = this.#queue.take();
      if (entry === undefined) break;
      this.#scheduled++;
      const job = entry.value;
      const label =
        job.kind === 'reconcile'
          ? `reconcile ${this.name} ${formatPointer(job.pointer)}`
          : `map ${this.name} ${formatPointer(job.resource.metadata)}`;
      this.#host.schedule(label, () => this.#process(entry));
    }
    this.#host.setBusy(this, this.#scheduled > 0);
  }

  #process(entry: QueueEntry<Job>): void {
    if (this.#stopped) {
      this.#scheduled--;
      this.#host.setBusy(this, this.#scheduled > 0);
      return;
    }
    entry.started = true;
    const job = entry.value;
    const seq = ++this.#seq;
    const attempt = entry.failures + 1;
    const abort = new LazyAbort();
    const subject = job.kind === 'reconcile' ? job.pointer : job.resource.metadata;
    const key = `${job.kind === 'map' ? 'map:' : ''}${formatPointer(subject)}`;
    const ctx = new Context(this.#contextHost, abort, { reconcile: seq, attempt, resource: key });
    const started = this.#host.clock.now();
    let startPhase = 'running';
    if (job.kind === 'reconcile') {
      const p = job.pointer;
      startPhase = this.#host.known(p.namespace, p.type, p.id)?.metadata.phase ?? 'running';
      this.#counters.reconciles++;
      if (entry.failures > 0) this.#counters.restarts++;
    }
    this.#host.report({ controller: this.name, key, phase: 'start' });
    let result: unknown;
    try {
      result =
        job.kind === 'reconcile'
          ? this.#definition.reconcile(ctx, job.pointer)
          : this.#map(job.input, job.resource, ctx);
    } catch (error) {
      result = Promise.reject(error);
    }
    const done = Promise.resolve(result).then(
      (value) => this.#finish(entry, seq, key, started, abort, false, value),
      (error: unknown) => this.#finish(entry, seq, key, started, abort, true, error),
    );
    this.#inFlight.set(entry.key, { abort, startPhase, done });
  }

  /** Runs a map function and queues what it returns; pointers outside the primary inputs fail the job. */
  async #map(input: QControllerInput, resource: AnyResource, ctx: Context): Promise<void> {
    const out: MapResult = await input.map!(resource, ctx);
    const pointers: readonly Pointer[] = out == null ? [] : Array.isArray(out) ? out : [out as Pointer];
    for (const p of pointers) {
      const kind = kindKey(p?.namespace, p?.type);
      if (!this.#primaryKinds.has(kind) && !this.#primaryIds.has(`${kind}\0${p?.id}`)) {
        throw new AccessError(
          { namespace: String(p?.namespace), type: String(p?.type), id: String(p?.id) },
          `map of input ${input.type} returned a pointer that is not a primary input of controller ${JSON.stringify(this.name)}`,
        );
      }
    }
    for (const p of pointers) {
      this.#queue.put(`${p.namespace}\0${p.type}\0${p.id}`, {
        kind: 'reconcile',
        pointer: makePointer(p.namespace, p.type, p.id),
      });
    }
  }

  #finish(
    entry: QueueEntry<Job>,
    seq: number,
    key: string,
    started: number,
    abort: LazyAbort,
    failed: boolean,
    value: unknown,
  ): void {
    this.#inFlight.delete(entry.key);
    this.#scheduled--;
    const counters = this.#counters;
    const isReconcile = entry.value.kind === 'reconcile';
    if (isReconcile) counters.lastDuration = counters.lastDurationMs = this.#host.clock.now() - started;
    if (this.#stopped) {
      counters.lastOutcome = failed && abort.aborted ? 'aborted' : failed ? 'error' : 'success';
      this.#host.report({ controller: this.name, key, phase: 'end', outcome: counters.lastOutcome });
      this.#host.setBusy(this, this.#scheduled > 0);
      return;
    }
    if (!failed) {
      if (entry.failures > 0 && --this.#failing === 0) {
        this.#streak.recovered(this.logger, 'queue recovered: no item failing', {
          reconcile: seq,
          resource: key,
        });
      }
      entry.failures = 0;
      const delay = isReconcile ? requeueDelay(value) : undefined;
      if (delay !== undefined) counters.requeues++;
      counters.lastOutcome = 'success';
      this.#host.report({ controller: this.name, key, phase: 'end', outcome: 'success' });
      this.#queue.release(entry, delay);
    } else if (abort.aborted) {
      // Its resource tore down mid-run: that change queued the key again, so it runs afresh.
      counters.lastOutcome = 'aborted';
      this.#host.report({ controller: this.name, key, phase: 'end', outcome: 'aborted', error: value });
      this.#queue.release(entry, undefined);
    } else {
      if (entry.failures === 0) this.#failing++;
      entry.failures++;
      counters.errors++;
      counters.lastOutcome = 'error';
      counters.lastError = value;
      const delay = backoffDelay(entry.failures, this.#host.backoff, this.#host.random);
      this.#streak.failed(this.logger, isReconcile ? 'reconcile failed' : 'map failed', value, {
        reconcile: seq,
        attempt: entry.failures,
        resource: key,
        retryInMs: delay,
      });
      this.#host.report({ controller: this.name, key, phase: 'end', outcome: 'error', error: value });
      this.#queue.release(entry, delay);
    }
    this.#pump();
  }
}

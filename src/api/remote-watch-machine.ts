import { isApiError } from './api-error.js';

/** Where a remote watch is: asking the server, reading its stream, waiting to retry, or done. */
type WatchPhase = 'connecting' | 'streaming' | 'backoff' | 'closed';

/** A remote watch's state: its phase and what it remembers across connections. */
export interface WatchMachine {
  readonly phase: WatchPhase;
  /** The connection of this phase (numbered from 1); reports of older ones are ignored. */
  readonly connection: number;
  /** The last bookmark delivered: where a new connection resumes. */
  readonly bookmark: string | undefined;
  /** Failed connections since the stream last delivered anything: the backoff's exponent. */
  readonly attempt: number;
  /** When the current run of failures began (clock ms). */
  readonly failingSince: number | undefined;
  /** A stream was answered once: a refused certificate afterwards is taken for a server restart. */
  readonly everConnected: boolean;
}

/** What happens to a remote watch: reports of its connection, its retry timer and its subscriber. */
export type WatchInput =
  /** The server answered the request; `ok` when it opened the stream (status 200). */
  | { readonly type: 'answered'; readonly connection: number; readonly ok: boolean }
  /** The stream delivered bytes: the connection works again. */
  | { readonly type: 'received'; readonly connection: number }
  /** The stream delivered an event carrying a bookmark. */
  | { readonly type: 'bookmarked'; readonly connection: number; readonly bookmark: string }
  /** The connection ended (network, stall, server close, refusal) at clock time `now`. */
  | { readonly type: 'dropped'; readonly connection: number; readonly error: unknown; readonly now: number }
  /** The stream said something that ends the watch (an error line, a line too long). */
  | { readonly type: 'failed'; readonly connection: number; readonly error: unknown }
  /** The backoff is over. */
  | { readonly type: 'retry' }
  /** The remote state is closing: the watch completes. */
  | { readonly type: 'completed' }
  /** The subscriber left: the watch stops without a word. */
  | { readonly type: 'unsubscribed' };

/** What the watch does on a transition; the interpreter in `remote-watch.ts` runs these in order. */
export type WatchEffect =
  /** Open connection `connection`, from `bookmark` if there is one. */
  | { readonly type: 'open'; readonly connection: number; readonly bookmark: string | undefined }
  /** The server fixed (or refused) the watch's start: writes waiting on it may go. */
  | { readonly type: 'settle-opening' }
  /** Release connection `connection` (its request and stall timer). */
  | { readonly type: 'cancel'; readonly connection: number }
  /** Start the retry timer. */
  | { readonly type: 'wait'; readonly delay: number; readonly reason: unknown }
  /** Release everything the watch holds: connection, timers, its place among the open watches. */
  | { readonly type: 'release' }
  | { readonly type: 'error'; readonly error: unknown }
  | { readonly type: 'complete' };

/** A transition's result: the next state and what to do. */
export interface WatchStep {
  readonly machine: WatchMachine;
  readonly effects: readonly WatchEffect[];
}

/** Backoff and give-up limits the transitions read. */
export interface WatchLimits {
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxRetryMs: number;
}

type Transition<I extends WatchInput> = (m: WatchMachine, input: I, limits: WatchLimits) => WatchStep;
type Transitions = {
  readonly [P in WatchPhase]: {
    readonly [T in WatchInput['type']]?: Transition<Extract<WatchInput, { type: T }>>;
  };
};

/**
 * Network trouble and server-side unavailability are retried; anything the server decided is not.
 * A certificate refused on the first connection fails at once; after a success it is taken for a
 * connection cut during a server restart.
 */
function retriable(error: unknown, everConnected: boolean): boolean {
  if (!isApiError(error)) return false;
  if (error.code === 'CertificateRefused') return everConnected;
  return error.status === 0 || error.status === 502 || error.status === 503 || error.status === 504;
}

const stay = (m: WatchMachine): WatchStep => ({ machine: m, effects: [] });

const close = (m: WatchMachine, last: WatchEffect | undefined): WatchStep => ({
  machine: { ...m, phase: 'closed' },
  effects: last === undefined ? [{ type: 'release' }] : [{ type: 'release' }, last],
});

const answer: Transition<{ type: 'answered'; connection: number; ok: boolean }> = (m, { ok }) => ({
  machine: ok ? { ...m, phase: 'streaming', everConnected: true } : m,
  effects: [{ type: 'settle-opening' }],
});

const receive: Transition<{ type: 'received'; connection: number }> = (m) =>
  m.attempt === 0 && m.failingSince === undefined
    ? stay(m)
    : stay({ ...m, attempt: 0, failingSince: undefined });

const bookmark: Transition<{ type: 'bookmarked'; connection: number; bookmark: string }> = (m, input) =>
  stay({ ...m, bookmark: input.bookmark });

/** A dropped connection is retried after a doubling delay, unless it is final or failing too long. */
const drop: Transition<{ type: 'dropped'; connection: number; error: unknown; now: number }> = (
  m,
  { error, now },
  limits,
) => {
  const failingSince = m.failingSince ?? now;
  if (!retriable(error, m.everConnected) || now - failingSince >= limits.maxRetryMs) {
    return close(m, { type: 'error', error });
  }
  const delay = Math.min(limits.maxBackoffMs, limits.minBackoffMs * 2 ** m.attempt);
  return {
    machine: { ...m, phase: 'backoff', attempt: m.attempt + 1, failingSince },
    effects: [
      { type: 'cancel', connection: m.connection },
      { type: 'settle-opening' },
      { type: 'wait', delay, reason: error },
    ],
  };
};

const fail: Transition<{ type: 'failed'; connection: number; error: unknown }> = (m, { error }) =>
  close(m, { type: 'error', error });

const reconnect: Transition<{ type: 'retry' }> = (m) => {
  const connection = m.connection + 1;
  return {
    machine: { ...m, phase: 'connecting', connection },
    effects: [{ type: 'open', connection, bookmark: m.bookmark }],
  };
};

const complete: Transition<{ type: 'completed' }> = (m) => close(m, { type: 'complete' });
const unsubscribe: Transition<{ type: 'unsubscribed' }> = (m) => close(m, undefined);

/** Every transition; an input a phase does not list changes nothing. */
const transitions: Transitions = {
  connecting: {
    answered: answer,
    dropped: drop,
    failed: fail,
    completed: complete,
    unsubscribed: unsubscribe,
  },
  streaming: {
    received: receive,
    bookmarked: bookmark,
    dropped: drop,
    failed: fail,
    completed: complete,
    unsubscribed: unsubscribe,
  },
  backoff: { retry: reconnect, completed: complete, unsubscribed: unsubscribe },
  closed: {},
};

/** A new watch, connecting (connection 1) from the start the caller asked for. */
export function startWatch(): WatchStep {
  const machine: WatchMachine = {
    phase: 'connecting',
    connection: 1,
    bookmark: undefined,
    attempt: 0,
    failingSince: undefined,
    everConnected: false,
  };
  return { machine, effects: [{ type: 'open', connection: 1, bookmark: undefined }] };
}

/** The remote watch's reducer: the next state and effects for one input. Pure. */
export function stepWatch(m: WatchMachine, input: WatchInput, limits: WatchLimits): WatchStep {
  if ('connection' in input && input.connection !== m.connection) return stay(m);
  const transition = transitions[m.phase][input.type] as Transition<WatchInput> | undefined;
  return transition === undefined ? stay(m) : transition(m, input, limits);
}

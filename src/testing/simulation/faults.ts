/**
 * The faults a simulation injects. Each is off unless given a rate; all are drawn from the run's
 * decisions, so a seed replays them.
 */
export interface FaultRates {
  /** Per reconcile: it throws (at its start, between two of its calls, or after its last one). */
  reconcileThrows?: number;
  /** Per store call a reconcile makes (batched writes included): the call fails with an error (a transient outage). */
  callFails?: number;
  /** The store methods `callFails` applies to: `get`, `list`, `create`, `update`, `destroy`, `transaction` (default: all). */
  callFailsOn?: readonly string[];
  /** Per update (or transaction with an update): it fails with a version conflict and writes nothing. */
  writeConflict?: number;
  /** Per watch delivery: the watch fails with a buffer overrun instead (the runtime must re-list). */
  watchOverrun?: number;
  /**
   * Per call a reconcile makes: the process dies right before or right after it; the reconcile is
   * abandoned mid-way and a new runtime starts from the store (crash-anywhere).
   */
  crash?: number;
  /** Per step: the runtime is stopped gracefully and a new one started on the same state. */
  restart?: number;
  /** Per step: the clock jumps forward by up to `maxClockJumpMs`, firing every timer that falls due. */
  clockJump?: number;
  /** The longest clock jump (default 120,000 ms). */
  maxClockJumpMs?: number;
}

/** Fault rates with every field present (`callFailsOn` stays optional: absent means every call). */
export type ResolvedFaultRates = Required<Omit<FaultRates, 'callFailsOn'>> & Pick<FaultRates, 'callFailsOn'>;

/** No faults at all: the liveness phase. */
export const noFaults: ResolvedFaultRates = Object.freeze({
  reconcileThrows: 0,
  callFails: 0,
  writeConflict: 0,
  watchOverrun: 0,
  crash: 0,
  restart: 0,
  clockJump: 0,
  maxClockJumpMs: 120_000,
});

type RateKey = Exclude<keyof FaultRates, 'maxClockJumpMs' | 'callFailsOn'>;
// A record, so that a new rate cannot be forgotten here.
const rateKeys = Object.keys({
  reconcileThrows: true,
  callFails: true,
  writeConflict: true,
  watchOverrun: true,
  crash: true,
  restart: true,
  clockJump: true,
} satisfies Record<RateKey, true>) as RateKey[];

/** Checks and completes fault rates: every rate must be in `[0, 1]`. */
export function resolveFaultRates(rates: FaultRates = {}): ResolvedFaultRates {
  const out: Record<string, unknown> = { ...noFaults };
  for (const key of rateKeys) {
    const v = rates[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new RangeError(`fault rate ${key} must be a number in [0, 1], got ${String(v)}`);
    }
    out[key] = v;
  }
  if (rates.maxClockJumpMs !== undefined) {
    if (!(rates.maxClockJumpMs >= 0) || !Number.isFinite(rates.maxClockJumpMs)) {
      throw new RangeError(`maxClockJumpMs must be a finite number >= 0, got ${rates.maxClockJumpMs}`);
    }
    out.maxClockJumpMs = rates.maxClockJumpMs;
  }
  const resolved: ResolvedFaultRates = { ...(out as Required<Omit<FaultRates, 'callFailsOn'>>) };
  if (rates.callFailsOn !== undefined) {
    if (!Array.isArray(rates.callFailsOn) || rates.callFailsOn.some((m) => typeof m !== 'string')) {
      throw new TypeError('callFailsOn must be an array of store method names');
    }
    resolved.callFailsOn = Object.freeze([...rates.callFailsOn]);
  }
  return Object.freeze(resolved);
}

/** The kinds of fault, as traces and reports name them. */
export type FaultKind =
  | 'reconcileThrows'
  | 'callFails'
  | 'writeConflict'
  | 'watchOverrun'
  | 'crash'
  | 'restart'
  | 'clockJump';

/** The error an injected reconcile failure throws; controllers should treat it like any other error. */
export class InjectedFault extends Error {
  constructor(
    readonly fault: FaultKind,
    detail: string,
  ) {
    super(`injected fault (${fault}): ${detail}`);
    this.name = 'InjectedFault';
  }
}

/** True for errors the simulation injected. */
export const isInjectedFault = (error: unknown): error is InjectedFault => error instanceof InjectedFault;

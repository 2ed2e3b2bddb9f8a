/**
 * A supervised service as data (research §5.7): what it waits for, what it depends on, how it runs,
 * how its health is checked, and when it restarts.
 */
import type { Observable } from 'rxjs';
import type { ProcessSpec } from '../../platform/processes.js';

/** When a service starts again after its process exits. */
export type RestartPolicy =
  /** Always, after `intervalMs` (default 5 s), growing while it crash-loops. */
  | { readonly kind: 'forever'; readonly intervalMs?: number }
  /** Until it exits with code 0. */
  | { readonly kind: 'untilSuccess'; readonly intervalMs?: number }
  /** Never: one run, then Finished or Failed. */
  | { readonly kind: 'once' };

/** A readiness probe; it never restarts the process (only an exit does). */
export interface HealthCheck {
  /** Wait before the first check (default 0). */
  readonly initialDelayMs?: number;
  /** Time between checks. */
  readonly periodMs: number;
  /** A check that takes longer fails (default: the period). */
  readonly timeoutMs?: number;
  /** Resolves when healthy; throws (or is aborted by the timeout) when not. */
  check(signal: AbortSignal): Promise<void>;
}

/** What a service waits for before it starts, named for the waiting message. */
export interface ServiceCondition {
  /** What is still missing, in words (`time sync`, `network`); empty when met. */
  missing(): Promise<readonly string[]>;
  /** Emits whenever what it depends on may have changed. */
  changes(): Observable<unknown>;
}

/** What a service's PreFunc and runner get. */
export interface ServiceContext {
  /** Aborted when the service is being stopped. */
  readonly signal: AbortSignal;
}

/** A service the supervisor runs. */
export interface ServiceDefinition {
  /** `etcd`, `kubelet`, ... */
  readonly id: string;
  /** Services that must be up first. */
  readonly dependsOn?: readonly string[];
  readonly condition?: ServiceCondition;
  /** Prepares the run (writes files, joins a cluster); a throw fails this attempt like an exit. */
  readonly preFunc?: (ctx: ServiceContext) => Promise<void>;
  /** The process to run, computed fresh for every start. */
  readonly process: (ctx: ServiceContext) => ProcessSpec | Promise<ProcessSpec>;
  readonly restart: RestartPolicy;
  readonly health?: HealthCheck;
  /** SIGTERM to SIGKILL (default 10 s). */
  readonly stopGraceMs?: number;
  /** Whether the API may start, stop or restart it (default false). */
  readonly userControllable?: boolean;
}

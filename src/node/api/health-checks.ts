/**
 * The node's health checks, in the order `talosctl health` runs them (research §7), restricted to
 * what one node can see of itself. Each check is polled until it passes, or the time runs out.
 */
import { Observable } from 'rxjs';
import { isControlPlane, MachineTypes, machineTypeId } from '../../resources/config/machine-type.js';
import { NetworkStatuses, networkStatusId } from '../../resources/network/network-status.js';
import { MachineStatuses, machineStatusId } from '../../resources/runtime/machine-status.js';
import { TimeStatuses, timeStatusId } from '../../resources/time/time-status.js';
import type { Clock } from '../../runtime/clock.js';
import { undefinedIfNotFound } from '../../runtime/errors.js';
import type { Node } from '../create-node.js';

/** What one evaluation of a check found. */
interface CheckOutcome {
  /** `ok`: passed; `waiting`: not yet; `skipped`: does not apply to this node. */
  readonly status: 'ok' | 'waiting' | 'skipped';
  readonly message: string;
}

/** One line of a health stream: a check waiting (with why), passing, skipped, or failed at the deadline. */
export interface HealthReport {
  readonly type: 'check';
  readonly check: string;
  readonly status: 'ok' | 'waiting' | 'skipped' | 'failed';
  readonly message: string;
}

/** A named check of the node. */
interface NodeHealthCheck {
  readonly name: string;
  evaluate(node: Node): Promise<CheckOutcome>;
}

/** A supervised service is up: skipped when the node does not run it. */
function serviceCheck(name: string, service: string, onlyControlPlane: boolean): NodeHealthCheck {
  return {
    name,
    async evaluate(node) {
      if (onlyControlPlane) {
        const type = await undefinedIfNotFound(node.state.get(MachineTypes.pointer(machineTypeId)));
        if (type !== undefined && !isControlPlane(type.spec.machineType)) {
          return { status: 'skipped', message: 'not a control plane node' };
        }
      }
      const status = node.supervisor.list().find((s) => s.id === service);
      if (status === undefined) return { status: 'skipped', message: `this node runs no ${service} service` };
      if (node.supervisor.isUp(service)) return { status: 'ok', message: `${service} is up` };
      const health = status.healthy === false ? ', unhealthy' : '';
      return {
        status: 'waiting',
        message: `${service} is ${status.state}${health}${status.message === '' ? '' : `: ${status.message}`}`,
      };
    },
  };
}

/** The checks, in order. */
const nodeHealthChecks: readonly NodeHealthCheck[] = [
  serviceCheck('etcd to be healthy', 'etcd', true),
  { name: 'apid to be ready', evaluate: async () => ({ status: 'ok', message: 'the node API answers' }) },
  {
    name: 'time to be in sync',
    async evaluate(node) {
      const time = await undefinedIfNotFound(node.state.get(TimeStatuses.pointer(timeStatusId)));
      if (time === undefined) return { status: 'waiting', message: 'no TimeStatus yet' };
      if (time.spec.synced || time.spec.syncDisabled) return { status: 'ok', message: 'time is synced' };
      return { status: 'waiting', message: 'time is not synced yet' };
    },
  },
  {
    name: 'network to be ready',
    async evaluate(node) {
      const net = await undefinedIfNotFound(node.state.get(NetworkStatuses.pointer(networkStatusId)));
      if (net === undefined) return { status: 'waiting', message: 'no NetworkStatus yet' };
      const missing = Object.entries(net.spec)
        .filter(([, ready]) => ready !== true)
        .map(([key]) => key);
      if (missing.length === 0)
        return { status: 'ok', message: 'addresses, connectivity, hostname and files ready' };
      return { status: 'waiting', message: `not ready: ${missing.join(', ')}` };
    },
  },
  serviceCheck('kubelet to be healthy', 'kubelet', false),
  {
    name: 'all services to be up',
    async evaluate(node) {
      const down = node.supervisor
        .list()
        .filter((s) => !node.supervisor.isUp(s.id))
        .map((s) => `${s.id} (${s.state})`);
      if (down.length === 0) return { status: 'ok', message: 'every service is up' };
      return { status: 'waiting', message: `not up: ${down.join(', ')}` };
    },
  },
  {
    name: 'boot sequence to finish',
    async evaluate(node) {
      const ms = await undefinedIfNotFound(node.state.get(MachineStatuses.pointer(machineStatusId)));
      if (ms?.spec.stage === 'running') return { status: 'ok', message: 'stage running' };
      return { status: 'waiting', message: `stage ${ms?.spec.stage ?? 'unknown'}` };
    },
  },
  {
    name: 'node to be ready',
    async evaluate(node) {
      const ms = await undefinedIfNotFound(node.state.get(MachineStatuses.pointer(machineStatusId)));
      if (ms?.spec.status.ready === true) return { status: 'ok', message: 'ready' };
      const unmet = ms?.spec.status.unmetConditions ?? [];
      return {
        status: 'waiting',
        message: unmet.length === 0 ? 'not ready' : unmet.map((c) => `${c.name}: ${c.reason}`).join('; '),
      };
    },
  },
];

/** Options of {@link runHealthChecks}. */
export interface HealthRunOptions {
  readonly clock: Clock;
  /** Give up on a check that has not passed after this long. */
  readonly timeoutMs: number;
  /** Time between evaluations of a waiting check. */
  readonly pollMs?: number;
}

/**
 * Runs the checks in order: a waiting check reports each new reason, a passing one `ok`; the first
 * one still waiting at the deadline reports `failed` and the stream ends there.
 */
export function runHealthChecks(node: Node, options: HealthRunOptions): Observable<HealthReport> {
  return new Observable<HealthReport>((subscriber) => {
    const deadline = options.clock.now() + options.timeoutMs;
    const pollMs = options.pollMs ?? 200;
    let stopped = false;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        options.clock.setTimeout(resolve, ms);
      });
    const run = async () => {
      for (const check of nodeHealthChecks) {
        let last = '';
        for (;;) {
          if (stopped) return;
          const outcome = await check.evaluate(node);
          if (outcome.status !== 'waiting') {
            subscriber.next({ type: 'check', check: check.name, ...outcome });
            break;
          }
          if (options.clock.now() >= deadline) {
            subscriber.next({ type: 'check', check: check.name, status: 'failed', message: outcome.message });
            subscriber.complete();
            return;
          }
          if (outcome.message !== last) {
            last = outcome.message;
            subscriber.next({ type: 'check', check: check.name, ...outcome });
          }
          await sleep(pollMs);
        }
      }
      subscriber.complete();
    };
    run().catch((error: unknown) => subscriber.error(error));
    return () => {
      stopped = true;
    };
  });
}

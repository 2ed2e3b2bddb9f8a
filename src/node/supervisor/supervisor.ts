/**
 * The service supervisor: loads services, starts them when their conditions and dependencies are
 * met, restarts them by policy, stops them in reverse dependency order, and keeps their logs.
 */
import { type Observable, Subject } from 'rxjs';
import type { ProcessPlatform } from '../../platform/processes.js';
import type { Clock } from '../../runtime/clock.js';
import type { EventBus } from '../events/event-bus.js';
import type { LogEntry } from './log-buffer.js';
import type { ServiceDefinition } from './service.js';
import { ServiceRunner, type ServiceStatus } from './service-runner.js';

/** Options of {@link createSupervisor}. */
export interface SupervisorOptions {
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly processes: ProcessPlatform;
}

/** Runs the node's services. */
export interface Supervisor {
  /** Adds a service (refuses an id loaded already, or after `denyNewServices`). */
  load(definition: ServiceDefinition): void;
  /** Starts a loaded service's loop. */
  start(id: string): void;
  /** Loads and starts. */
  loadAndStart(definition: ServiceDefinition): void;
  /** Stops one service and, first, every service that depends on it. */
  stop(id: string): Promise<void>;
  /** Stops and starts a service again. */
  restart(id: string): Promise<void>;
  /** Every loaded service's status, by id. */
  list(): ServiceStatus[];
  /** Emits whenever a service's state or health changes. */
  changes(): Observable<void>;
  /** One service's status. */
  status(id: string): ServiceStatus;
  /** Whether a service is up (running and healthy, or finished). */
  isUp(id: string): boolean;
  /** The last lines of a service's output, or all retained. */
  logs(id: string, tail?: number): readonly LogEntry[];
  /** The last lines, then every new one. */
  followLogs(id: string, tail?: number): Observable<LogEntry>;
  /** Refuses further loads (shutdown, reset, upgrade). */
  denyNewServices(): void;
  /** Stops every service, dependents before what they depend on. */
  stopAll(): Promise<void>;
}

/** An unknown service id. */
export class UnknownServiceError extends Error {
  constructor(readonly id: string) {
    super(`service ${JSON.stringify(id)} is not loaded`);
    this.name = 'UnknownServiceError';
  }
}

/** Makes a supervisor. */
export function createSupervisor(options: SupervisorOptions): Supervisor {
  const runners = new Map<string, ServiceRunner>();
  const changes = new Subject<void>();
  let denied = false;
  options.bus.events().subscribe((e) => {
    if (e.type === 'service') changes.next();
  });

  const runner = (id: string): ServiceRunner => {
    const found = runners.get(id);
    if (!found) throw new UnknownServiceError(id);
    return found;
  };
  const host = {
    clock: options.clock,
    bus: options.bus,
    processes: options.processes,
    isUp: (id: string) => runners.get(id)?.isUp() ?? false,
    serviceChanges: changes.asObservable(),
  };
  /** `id`'s dependents, transitively, deepest first. */
  const dependentsOf = (id: string, seen = new Set<string>()): string[] => {
    const out: string[] = [];
    for (const r of runners.values()) {
      const dep = r.definition.id;
      if (!seen.has(dep) && r.definition.dependsOn?.includes(id)) {
        seen.add(dep);
        out.push(...dependentsOf(dep, seen), dep);
      }
    }
    return out;
  };

  const supervisor: Supervisor = {
    load(definition) {
      if (denied) throw new Error(`service ${definition.id} refused: the node accepts no new services now`);
      if (runners.has(definition.id)) throw new Error(`service ${definition.id} is already loaded`);
      runners.set(definition.id, new ServiceRunner(definition, host));
    },
    start: (id) => runner(id).start(),
    loadAndStart(definition) {
      supervisor.load(definition);
      supervisor.start(definition.id);
    },
    async stop(id) {
      const target = runner(id);
      for (const dependent of dependentsOf(id)) await runner(dependent).stop();
      await target.stop();
    },
    async restart(id) {
      await runner(id).stop();
      runner(id).start();
    },
    changes: () => changes.asObservable(),
    list: () => [...runners.values()].map((r) => r.status()).sort((a, b) => (a.id < b.id ? -1 : 1)),
    status: (id) => runner(id).status(),
    isUp: host.isUp,
    logs: (id, tail) => runner(id).logs.lines(tail),
    followLogs: (id, tail) => runner(id).logs.follow(tail),
    denyNewServices() {
      denied = true;
    },
    async stopAll() {
      const order: string[] = [];
      const seen = new Set<string>();
      for (const id of runners.keys()) {
        for (const dep of [...dependentsOf(id), id]) {
          if (!seen.has(dep)) {
            seen.add(dep);
            order.push(dep);
          }
        }
      }
      for (const id of order) await runner(id).stop();
    },
  };
  return supervisor;
}

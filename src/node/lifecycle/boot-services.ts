/**
 * The boot's startEverything: load the node's services, with the ones the running image breaks
 * held back (they never come up, so readiness never comes and the boot times out), then wait until
 * MachineStatus says ready and every service is up within the boot timeout, naming what is still
 * unmet when it does not.
 */
import { NEVER, type Observable, type Subscription } from 'rxjs';
import { MachineStatuses, machineStatusId } from '../../resources/runtime/machine-status.js';
import type { Clock } from '../../runtime/clock.js';
import type { State } from '../../runtime/state/state.js';
import type { ServiceDefinition } from '../supervisor/service.js';
import type { NodeImage } from './node-image.js';

/** The services to load at `image`: those it breaks wait forever, named as broken by it. */
export function servicesAtImage(
  services: readonly ServiceDefinition[],
  image: NodeImage,
): ServiceDefinition[] {
  const failing = new Set(image.failingServices);
  const broken = (id: string) => ({
    missing: async () => [`${id} does not work at ${image.version}`],
    changes: () => NEVER,
  });
  const out = services.map((s) => (failing.has(s.id) ? { ...s, condition: broken(s.id) } : s));
  for (const id of failing) {
    if (services.some((s) => s.id === id)) continue;
    out.push({
      id,
      condition: broken(id),
      process: () => {
        throw new Error(`${id} does not work at ${image.version}`);
      },
      restart: { kind: 'once' },
    });
  }
  return out;
}

/** What the boot asks of the supervisor: whether each loaded service is up (running, and healthy when checked). */
export interface ServicesUp {
  list(): readonly { readonly id: string; readonly state: string }[];
  isUp(id: string): boolean;
  changes(): Observable<void>;
}

/** The loaded services not up yet (a finished one is done, not missing). */
function notUp(services: ServicesUp): string[] {
  return services
    .list()
    .filter((s) => s.state !== 'Finished' && !services.isUp(s.id))
    .map((s) => s.id);
}

/**
 * Resolves once MachineStatus is ready and every loaded service is up, as Talos' boot waits for
 * each service's "up" event: MachineStatus takes a service whose first health check has not run
 * yet as ready, and a node that says it booted before its etcd member answers lets a rolling
 * upgrade take the next member down. Rejects on timeout (naming what is unmet) or abort.
 */
export function waitReady(
  state: State,
  services: ServicesUp,
  clock: Clock,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let unmet = 'no machine status yet';
    let ready = false;
    const subscriptions: Subscription[] = [];
    let done = false;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      for (const s of subscriptions) s.unsubscribe();
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    const check = () => {
      if (!ready) return;
      const waiting = notUp(services);
      if (waiting.length === 0) finish(resolve);
      else unmet = `services not up yet: ${waiting.join(', ')}`;
    };
    const onAbort = () => finish(() => reject(signal.reason));
    const timer = clock.setTimeout(
      () => finish(() => reject(new Error(`the node was not ready within ${timeoutMs} ms: ${unmet}`))),
      timeoutMs,
    );
    signal.addEventListener('abort', onAbort);
    subscriptions.push(
      state.watch(MachineStatuses.pointer(machineStatusId)).subscribe((event) => {
        if (event.type !== 'created' && event.type !== 'updated') return;
        const status = event.resource.spec.status;
        ready = status.ready;
        if (!ready) unmet = status.unmetConditions.map((c) => `${c.name}: ${c.reason}`).join('; ');
        check();
      }),
      services.changes().subscribe(check),
    );
    if (done) for (const s of subscriptions) s.unsubscribe();
    if (signal.aborted) onAbort();
  });
}

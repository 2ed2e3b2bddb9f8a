/**
 * The boot's startEverything: load the node's services, with the ones the running image breaks
 * held back (they never come up, so readiness never comes and the boot times out), then wait until
 * MachineStatus says ready within the boot timeout, naming what is still unmet when it does not.
 */
import { NEVER, type Subscription } from 'rxjs';
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

/** Resolves once MachineStatus is ready; rejects on timeout (naming the unmet conditions) or abort. */
export function waitReady(state: State, clock: Clock, timeoutMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let unmet = 'no machine status yet';
    let subscription: Subscription | undefined;
    let done = false;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      subscription?.unsubscribe();
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = () => finish(() => reject(signal.reason));
    const timer = clock.setTimeout(
      () => finish(() => reject(new Error(`the node was not ready within ${timeoutMs} ms: ${unmet}`))),
      timeoutMs,
    );
    signal.addEventListener('abort', onAbort);
    subscription = state.watch(MachineStatuses.pointer(machineStatusId)).subscribe((event) => {
      if (event.type !== 'created' && event.type !== 'updated') return;
      const status = event.resource.spec.status;
      if (status.ready) finish(resolve);
      else unmet = status.unmetConditions.map((c) => `${c.name}: ${c.reason}`).join('; ');
    });
    if (done) subscription.unsubscribe();
    if (signal.aborted) onAbort();
  });
}

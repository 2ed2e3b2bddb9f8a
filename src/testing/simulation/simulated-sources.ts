import { Observable, type Subscription } from 'rxjs';
import type { AnyControllerDefinition } from '../../runtime/controller/define-controller.js';
import type { ExternalSource } from '../../runtime/controller/external-source.js';
import type { TaskScheduler } from './sim-scheduler.js';

type Queued = { value: unknown } | { error: unknown } | { complete: true };

/** The external sources of one runtime's life, delivered through the simulation's scheduler. */
export interface ScheduledSources {
  /** The definition with every source replaced by one that delivers through the scheduler. */
  wrap(definition: AnyControllerDefinition): AnyControllerDefinition;
  /** Drops every subscription underneath, as a crashed process's sockets close. */
  closeAll(): void;
}

/**
 * Re-emits external sources through a queue that a scheduled task drains, as the simulated state
 * delivers watch events: the seed decides when an emission reaches the runtime relative to
 * everything else.
 */
export function scheduledSources(scheduler: TaskScheduler): ScheduledSources {
  const open = new Set<Subscription>();
  let closed = false;

  const relay = (controller: string, source: ExternalSource): ExternalSource => {
    const label = `deliver source ${controller}/${source.name}`;
    const changes = () =>
      new Observable<unknown>((subscriber) => {
        if (closed) return;
        const queue: Queued[] = [];
        let scheduled = false;
        const deliver = () => {
          scheduled = false;
          for (const item of queue.splice(0)) {
            if ('value' in item) subscriber.next(item.value);
            else if ('error' in item) return subscriber.error(item.error);
            else return subscriber.complete();
          }
        };
        const push = (item: Queued) => {
          queue.push(item);
          if (scheduled) return;
          scheduled = true;
          scheduler.schedule({ label, run: deliver });
        };
        const inner = source.changes().subscribe({
          next: (value) => push({ value }),
          error: (error: unknown) => push({ error }),
          complete: () => push({ complete: true }),
        });
        open.add(inner);
        return () => {
          open.delete(inner);
          inner.unsubscribe();
        };
      });
    return Object.freeze({ name: source.name, changes });
  };

  return {
    wrap(definition) {
      if (definition.sources === undefined || definition.sources.length === 0) return definition;
      const sources = definition.sources.map((s) => relay(definition.name, s));
      return Object.freeze({ ...definition, sources });
    },
    closeAll() {
      closed = true;
      for (const s of open) s.unsubscribe();
      open.clear();
    },
  };
}

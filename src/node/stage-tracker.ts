/**
 * Follows the event bus and keeps the machine's stage (research §5.6): one per node, read by
 * MachineStatusController, so the stage is state of the node, not of a controller definition.
 */
import { type Observable, Subject } from 'rxjs';
import type { EventBus } from './events/event-bus.js';
import { type MachineStage, nextStage } from './machine-stage.js';

/** The machine's stage, kept up to date from the bus. */
export interface StageTracker {
  /** The stage now. */
  stage(): MachineStage;
  /** Emits the new stage on every change. */
  changes(): Observable<MachineStage>;
  /** Stops following the bus. */
  close(): void;
}

/** Follows `bus` from the events it still holds. */
export function trackStage(bus: EventBus): StageTracker {
  let stage: MachineStage = 'unknown';
  const changed = new Subject<MachineStage>();
  const subscription = bus.events({ tail: Number.MAX_SAFE_INTEGER }).subscribe((event) => {
    const next = nextStage(stage, event);
    if (next === stage) return;
    stage = next;
    changed.next(next);
  });
  return {
    stage: () => stage,
    changes: () => changed.asObservable(),
    close: () => {
      subscription.unsubscribe();
      changed.complete();
    },
  };
}

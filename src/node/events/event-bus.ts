/**
 * The node's event bus: numbered, time-stamped events in a bounded ring, delivered live to every
 * subscriber, with a tail of the most recent for late subscribers (as `talosctl events --tail`).
 */
import { Observable, Subject } from 'rxjs';
import type { Clock } from '../../runtime/clock.js';
import type { MachineEvent, MachineEventPayload } from './machine-event.js';

/** Options of {@link createEventBus}. */
export interface EventBusOptions {
  /** Where event times come from. */
  readonly clock: Clock;
  /** How many recent events are kept for tails (default 1,000). */
  readonly capacity?: number;
}

/** Options of {@link EventBus.events}. */
export interface EventStreamOptions {
  /** Start with up to this many of the most recent events (default 0: only new ones). */
  readonly tail?: number;
  /** Start right after the event with this id, when it is still retained (overrides `tail`). */
  readonly sinceId?: number;
}

/** Publishes and streams the node's events. */
export interface EventBus {
  /** Numbers, stamps and delivers an event; returns it. */
  publish(event: MachineEventPayload): MachineEvent;
  /** The events retained now, oldest first. */
  recent(): readonly MachineEvent[];
  /** A stream of events: the requested tail, then every new one. */
  events(options?: EventStreamOptions): Observable<MachineEvent>;
}

/** Makes an event bus. */
export function createEventBus(options: EventBusOptions): EventBus {
  const capacity = options.capacity ?? 1_000;
  const ring: MachineEvent[] = [];
  const live = new Subject<MachineEvent>();
  let nextId = 1;

  return {
    publish(payload) {
      const event = Object.freeze({
        ...payload,
        id: nextId++,
        time: new Date(options.clock.now()).toISOString(),
      }) as MachineEvent;
      ring.push(event);
      if (ring.length > capacity) ring.shift();
      live.next(event);
      return event;
    },
    recent: () => [...ring],
    events(streamOptions = {}) {
      return new Observable<MachineEvent>((subscriber) => {
        const { sinceId, tail = 0 } = streamOptions;
        const backlog =
          sinceId !== undefined ? ring.filter((e) => e.id > sinceId) : tail > 0 ? ring.slice(-tail) : [];
        const last = backlog.at(-1)?.id ?? 0;
        for (const event of backlog) subscriber.next(event);
        // Events published while the backlog was delivered are in the ring and come live as well.
        return live.subscribe({
          next: (event) => {
            if (event.id > last) subscriber.next(event);
          },
        });
      });
    },
  };
}

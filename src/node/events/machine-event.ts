/**
 * The node's events, as Talos publishes them on its event bus: sequences, phases and tasks starting
 * and stopping, services changing state, configs applied. The sequencer and the supervisor write
 * them; MachineStatus, the API (`events`), logs and the dashboard read them.
 */

/** The sequences a node runs (research §5.2). */
export type SequenceName =
  | 'initialize'
  | 'install'
  | 'boot'
  | 'reboot'
  | 'shutdown'
  | 'reset'
  | 'upgrade'
  | 'stageUpgrade'
  | 'maintenanceUpgrade'
  | 'noop';

/** Why a sequence did not finish: refused by the lock, cancelled by a takeover, or failed. */
export type SequenceErrorCode = 'locked' | 'canceled' | 'fatal';

/** A failure carried by a stop event. */
export interface EventError {
  readonly code: SequenceErrorCode;
  readonly message: string;
}

/** The states of a supervised service (research §5.7). */
export type ServiceState =
  | 'Initialized'
  | 'Waiting'
  | 'Preparing'
  | 'Running'
  | 'Stopping'
  | 'Finished'
  | 'Failed'
  | 'Skipped';

/** An event before the bus numbers and stamps it. */
export type MachineEventPayload =
  | {
      readonly type: 'sequence';
      readonly sequence: SequenceName;
      readonly action: 'start' | 'stop';
      readonly error?: EventError;
    }
  | {
      readonly type: 'phase';
      readonly sequence: SequenceName;
      readonly phase: string;
      readonly action: 'start' | 'stop';
      readonly error?: EventError;
    }
  | {
      readonly type: 'task';
      readonly sequence: SequenceName;
      readonly phase: string;
      readonly task: string;
      readonly action: 'start' | 'stop';
      readonly error?: EventError;
    }
  | {
      readonly type: 'service';
      readonly service: string;
      readonly state: ServiceState;
      readonly message: string;
      readonly healthy?: boolean;
    }
  | { readonly type: 'config'; readonly action: string; readonly message: string }
  | {
      /** A step of apply-config, upgrade, rollback or reset (the crash-test hook names the same steps). */
      readonly type: 'lifecycle';
      readonly operation: LifecycleOperation;
      readonly step: string;
      readonly message: string;
    };

/** The node operations whose steps are published (and crash-tested). */
export type LifecycleOperation =
  | 'applyConfig'
  | 'upgrade'
  | 'rollback'
  | 'reset'
  | 'boot'
  | 'reboot'
  | 'shutdown';

/** An event on the bus: its payload, a number that only grows, and when it happened (RFC 3339). */
export type MachineEvent = MachineEventPayload & { readonly id: number; readonly time: string };

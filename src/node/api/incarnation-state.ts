/**
 * The node's state as the API serves it across reboots: a node that reboots in place gets a new
 * state, so every call goes to the state of the current boot, and a watch opened on an earlier boot
 * ends with an overrun (the client lists again, as after any lost events).
 */
import { Observable } from 'rxjs';
import { OverrunError } from '../../runtime/errors.js';
import type { CoreState, State } from '../../runtime/state/state.js';
import type { Node } from '../create-node.js';

/** A state that follows `node.state` from boot to boot. */
export function incarnationState(node: Node): CoreState {
  /** Wraps a watch so it errors once the node's state is another one (checked on every node event). */
  const following = <T>(
    subject: { namespace: string; type: string },
    open: (state: State) => Observable<T>,
  ) =>
    new Observable<T>((subscriber) => {
      const state = node.state;
      const inner = open(state).subscribe(subscriber);
      const events = node.events.events().subscribe(() => {
        if (node.state !== state) {
          subscriber.error(new OverrunError(subject, 'the node rebooted: list again'));
        }
      });
      return () => {
        inner.unsubscribe();
        events.unsubscribe();
      };
    });
  return {
    get: (pointer) => node.state.get(pointer),
    list: (kind, options) => node.state.list(kind, options),
    create: (resource, options) => node.state.create(resource, options),
    update: (resource, options) => node.state.update(resource, options),
    destroy: (pointer, options) => node.state.destroy(pointer, options),
    transaction: (ops) => node.state.transaction(ops),
    watch: (pointer, options) => following(pointer, (s) => s.watch(pointer, options)),
    watchKind: (kind, options) => following(kind, (s) => s.watchKind(kind, options)),
    watchKindAggregated: (kind, options) => following(kind, (s) => s.watchKindAggregated(kind, options)),
  };
}

/**
 * The etcd backend: the state contract over a real etcd, shared by several processes.
 *
 * @packageDocumentation
 */
export { EtcdUnavailableError, isEtcdUnavailableError } from './client.js';
export { createEtcdState, type EtcdStateOptions } from './etcd-state.js';

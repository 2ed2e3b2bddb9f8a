/**
 * `converge/testing`: what tests of converge and of its users' controllers need.
 *
 * @packageDocumentation
 */
// A real etcd server for tests
export {
  type EtcdServer,
  type EtcdServerOptions,
  etcdInstallCommand,
  startEtcdServer,
} from './etcd-server.js';
// Deterministic simulation and property tests of convergence (names listed in simulation/index.ts)
export * from './simulation/index.js';
// State conformance suite
export { describeStateConformance, type StateConformanceOptions } from './state-conformance/index.js';
export { createVirtualClock, flushMicrotasks, type VirtualClock } from './virtual-clock.js';

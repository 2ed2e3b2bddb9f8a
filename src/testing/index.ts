/**
 * `converge/testing`: what tests of converge and of its users' controllers need.
 *
 * @packageDocumentation
 */
export { createVirtualClock, flushMicrotasks, type VirtualClock } from './virtual-clock.js';

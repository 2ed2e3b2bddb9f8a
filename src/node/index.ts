/**
 * `converge/node`: a Talos-style node on the engine — its resource definitions, controllers and platforms.
 *
 * @packageDocumentation
 */

// Configuration resources
export * from '../resources/config/index.js';
// Network resources: specs, statuses and derived
export * from '../resources/network/index.js';
// Time resources
export * from '../resources/time/index.js';
export { createNode, type Node, type NodeOptions } from './create-node.js';

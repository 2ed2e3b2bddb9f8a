/**
 * `converge/node`: a Talos-style node on the engine — its resource definitions, controllers and platforms.
 *
 * @packageDocumentation
 */
// Network status and derived resources
export * from '../resources/network/index.js';
// Time resources
export * from '../resources/time/index.js';

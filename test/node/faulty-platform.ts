import type { NetworkPlatform } from '../../src/platform/network.js';
import type { SimulatedPlatform } from '../../src/platform/simulated/create-simulated-platform.js';
import type { NetworkWriteOp } from '../../src/platform/simulated/simulated-network.js';
import type { Simulation } from '../../src/testing/index.js';

const writes: NetworkWriteOp[] = ['addAddress', 'removeAddress', 'addRoute', 'removeRoute'];

/** A simulated machine under a simulation run, and how many platform faults it may still suffer. */
export interface FaultyMachine {
  readonly sim: Simulation;
  readonly platform: SimulatedPlatform;
  faults: number;
}

/**
 * The platform as the controllers see it: every write may, by the run's choices, first meet a
 * kernel error (EBUSY) or be followed by an address vanishing behind the node's back. A run has a
 * budget of such faults, and they stop with the simulation's own (`heal()`): platform calls fail
 * while store calls may, so the liveness phase is free of both.
 */
export function faultyNetwork(m: FaultyMachine): NetworkPlatform {
  const network = m.platform.network;
  const choices = m.sim.choices;
  const armed = () => m.faults > 0 && m.sim.faults.callFails > 0;
  const faulty = async (op: NetworkWriteOp, arg: unknown): Promise<void> => {
    if (armed() && choices.chance(0.15, 'platform fault', op)) {
      m.faults--;
      m.platform.faults.failNext(op, 'EBUSY');
    }
    await (network[op] as (arg: unknown) => Promise<void>).call(network, arg);
    if (armed() && op === 'addAddress' && choices.chance(0.15, 'address vanishes', op)) {
      m.faults--;
      const victim = (await network.addresses()).find((a) => a.linkName !== 'lo');
      if (victim !== undefined) m.platform.faults.removeAddress(victim);
    }
  };
  return new Proxy(network, {
    get(target, key) {
      if (writes.includes(key as NetworkWriteOp)) return (arg: unknown) => faulty(key as NetworkWriteOp, arg);
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

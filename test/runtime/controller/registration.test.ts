import { afterEach, describe, expect, it } from 'vitest';
import {
  defineController,
  defineQController,
  input,
  isRegistrationError,
  output,
} from '../../../src/index.js';
import { type Harness, harness, Ints, Strs, Sums } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

const noop = defineController({ name: 'Noop', inputs: [], outputs: [], reconcile() {} });

describe('runtime: registration', () => {
  it('should refuse a duplicate name, a second exclusive writer, an input declared twice, and malformed definitions', () => {
    h = harness();
    const { runtime } = h;
    runtime.register(
      defineController({
        name: 'A',
        inputs: [input.weak(Ints)],
        outputs: [output.exclusive(Strs)],
        reconcile() {},
      }),
    );
    runtime.register(
      defineController({ name: 'S1', inputs: [], outputs: [output.shared(Sums)], reconcile() {} }),
    );
    const attempts: [string, () => void, RegExp][] = [
      [
        'duplicate name',
        () => runtime.register({ ...noop, name: 'A' }),
        /controller "A": a controller with this name is already registered/,
      ],
      [
        'second exclusive writer',
        () =>
          runtime.register(
            defineController({ name: 'B', inputs: [], outputs: [output.exclusive(Strs)], reconcile() {} }),
          ),
        /controller "B": output Strs\.ctrl\.test\.converge\.dev is already written exclusively by controller "A"/,
      ],
      [
        'shared next to exclusive',
        () =>
          runtime.register(
            defineController({ name: 'C', inputs: [], outputs: [output.shared(Strs)], reconcile() {} }),
          ),
        /already written exclusively by controller "A"/,
      ],
      [
        'exclusive next to shared',
        () =>
          runtime.register(
            defineController({ name: 'D', inputs: [], outputs: [output.exclusive(Sums)], reconcile() {} }),
          ),
        /cannot be exclusive: it is a shared output of "S1"/,
      ],
      [
        'input declared twice',
        () =>
          runtime.register(
            defineController({
              name: 'E',
              inputs: [input.weak(Ints), input.destroyReady(Ints)],
              outputs: [],
              reconcile() {},
            }),
          ),
        /controller "E": input Ints\.ctrl\.test\.converge\.dev\(default\) is declared twice/,
      ],
      [
        'queue input on a full controller',
        () =>
          runtime.register(
            defineController({
              name: 'F',
              inputs: [input.primary(Ints)] as never,
              outputs: [],
              reconcile() {},
            }),
          ),
        /input "primary" is not allowed for a full-reconcile controller/,
      ],
      [
        'queue controller without primary',
        () =>
          runtime.register(
            defineQController({
              name: 'G',
              inputs: [input.mapped(Ints, () => [])],
              outputs: [],
              reconcile() {},
            }),
          ),
        /needs at least one input.primary/,
      ],
      [
        'bad concurrency',
        () =>
          runtime.register(
            defineQController({
              name: 'H',
              inputs: [input.primary(Ints)],
              outputs: [],
              concurrency: 0,
              reconcile() {},
            }),
          ),
        /concurrency must be a positive integer/,
      ],
      [
        'not a definition',
        () => runtime.register({ name: 'I', reconcile() {} } as never),
        /use defineController/,
      ],
      ['empty name', () => runtime.register({ ...noop, name: '' }), /name must be a non-empty string/],
      [
        'output declared twice',
        () =>
          runtime.register(
            defineController({
              name: 'J',
              inputs: [],
              outputs: [output.shared(Sums), output.shared(Sums)],
              reconcile() {},
            }),
          ),
        /output Sums\.ctrl\.test\.converge\.dev is declared twice/,
      ],
      [
        'input without a definition',
        () =>
          runtime.register(
            defineController({
              name: 'K',
              inputs: [input.weak(undefined as never)],
              outputs: [],
              reconcile() {},
            }),
          ),
        /input weak needs a resource definition/,
      ],
    ];
    for (const [what, fn, message] of attempts) {
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(isRegistrationError(error), what).toBe(true);
      expect((error as Error).message, what).toMatch(message);
    }
    // Nothing of the refused controllers was recorded.
    expect(runtime.dependencyGraph().controllers).toEqual(['A', 'S1']);
  });
});

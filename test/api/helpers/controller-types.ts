import { z } from 'zod';
import { defineResource } from '../../../src/runtime/resource/define-resource.js';

/** Inputs of the multi-process test: numbers users write. */
export const Sources = defineResource({
  type: 'Sources.api.test.converge.dev',
  spec: z.object({ value: z.number().int() }),
});

/** Outputs: each source's value doubled, written by a controller in another process. */
export const Doubles = defineResource({
  type: 'Doubles.api.test.converge.dev',
  spec: z.object({ value: z.number().int() }),
});

/** One summary over all doubles. */
export const Totals = defineResource({
  type: 'Totals.api.test.converge.dev',
  spec: z.object({ count: z.number().int(), sum: z.number().int() }),
});

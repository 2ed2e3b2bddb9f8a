import { createState } from '../../../src/index.js';
import { describeStateConformance } from '../../../src/testing/index.js';

describeStateConformance('in-memory, default history', () => createState(), {
  history: { capacity: 10_000, gap: 5 },
});

describeStateConformance(
  'in-memory, tiny history growing 8 → 32',
  () => createState({ history: { initialCapacity: 8, maxCapacity: 32, gap: 2 } }),
  { history: { capacity: 32, gap: 2 } },
);

describeStateConformance(
  'in-memory, large history growing 10,000 → 100,000',
  () => createState({ history: { initialCapacity: 10_000, maxCapacity: 100_000, gap: 50 } }),
  { history: { capacity: 100_000, gap: 50 } },
);

describeStateConformance('in-memory, history not declared', () => createState());

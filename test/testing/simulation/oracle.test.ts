import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineResource } from '../../../src/runtime/resource/define-resource.js';
import { compareResources } from '../../../src/testing/simulation/oracle.js';
import { ConvergenceError, formatFailureReport } from '../../../src/testing/simulation/report.js';

const Outs = defineResource({
  type: 'Outs.oracle.test.converge.dev',
  spec: z.object({ value: z.string(), tags: z.array(z.string()).default([]) }),
});

describe('compareResources', () => {
  it('should find nothing when the store holds exactly what is expected', () => {
    const a = Outs.make('a', { value: 'x' });
    const stored = { ...a, metadata: { ...a.metadata, version: 3, owner: 'C', created: 't', updated: 't' } };
    expect(compareResources([stored], [a])).toEqual([]);
  });

  it('should name missing, unexpected and different resources, sorted by pointer', () => {
    const expected = [Outs.make('a', { value: 'x' }), Outs.make('c', { value: 'z', tags: ['t'] })];
    const actual = [Outs.make('b', { value: 'y' }), Outs.make('c', { value: 'old', tags: [] })];
    expect(compareResources(actual, expected)).toEqual([
      {
        pointer: 'Outs.oracle.test.converge.dev(default/a)',
        kind: 'missing',
        detail: 'expected spec {"value":"x","tags":[]}, not in the store',
      },
      {
        pointer: 'Outs.oracle.test.converge.dev(default/b)',
        kind: 'unexpected',
        detail: `not expected, in the store (owner '', phase running, spec {"value":"y","tags":[]})`,
      },
      {
        pointer: 'Outs.oracle.test.converge.dev(default/c)',
        kind: 'differs',
        detail: '/spec/tags/0: expected "t", absent; /spec/value: expected "z", got "old"',
      },
    ]);
  });

  it('should compare the phase by default and other metadata on request', () => {
    const a = Outs.make('a', { value: 'x' }, { labels: { k: 'v' } });
    const torn = { ...a, metadata: { ...a.metadata, phase: 'tearingDown' as const } };
    expect(compareResources([torn], [a])[0]?.detail).toBe(
      '/metadata/phase: expected "running", got "tearingDown"',
    );
    const unlabelled = Outs.make('a', { value: 'x' });
    expect(compareResources([unlabelled], [a])).toEqual([]);
    expect(compareResources([unlabelled], [a], { metadata: ['labels'] })[0]?.detail).toBe(
      '/metadata/labels/k: expected "v", absent',
    );
  });
});

describe('formatFailureReport', () => {
  it('should print every section a person needs to fix the failure', () => {
    const text = formatFailureReport({
      title: 'did not converge',
      decisions: 'seed 3',
      replay: "CONVERGE_REPLAY='3,1:2,AA:A' npx vitest run x.test.ts",
      operations: ['create A(default/a) {}', 'destroy A(default/a)'],
      differences: [{ pointer: 'B(default/a)', kind: 'unexpected', detail: 'not expected' }],
      violations: [
        { invariant: 'orphanFinalizer', message: 'A(default/a) carries finalizer(s) Gone', step: 4 },
      ],
      controllers: {
        C: { last: { key: 'C', outcome: 'error', step: 9, error: 'Error: boom' }, reconciles: 3, errors: 1 },
        D: {},
      },
      trace: ['#    1 +      0ms op        create A(default/a) {}'],
      steps: 12,
      virtualMs: 500,
    });
    expect(text).toBe(
      [
        'convergence failure: did not converge',
        'decisions: seed 3; 12 steps, 500 ms of virtual time',
        "replay: CONVERGE_REPLAY='3,1:2,AA:A' npx vitest run x.test.ts",
        'operations (2):',
        '  1. create A(default/a) {}',
        '  2. destroy A(default/a)',
        'resources that differ from the expectation (1):',
        '  unexpected B(default/a): not expected',
        'invariants broken (1):',
        '  orphanFinalizer at step 4: A(default/a) carries finalizer(s) Gone',
        'controllers (last reconcile):',
        '  C: error at step 9 (Error: boom); this runtime: 3 reconciles, 1 errors',
        '  D: never reconciled',
        'trace (last 1 entries):',
        '  #    1 +      0ms op        create A(default/a) {}',
      ].join('\n'),
    );
    const error = new ConvergenceError({
      title: 't',
      decisions: 'd',
      operations: [],
      differences: [],
      violations: [],
      controllers: {},
      trace: [],
      steps: 0,
      virtualMs: 0,
    });
    expect(error.message.startsWith('convergence failure: t')).toBe(true);
    expect(error.report.title).toBe('t');
  });
});

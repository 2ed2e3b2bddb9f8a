import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController, input, output } from '../../../src/runtime/controller/index.js';
import { defineResource } from '../../../src/runtime/resource/define-resource.js';
import type { AnyResource } from '../../../src/runtime/resource/resource.js';
import { checkSettledResources, InvariantMonitor } from '../../../src/testing/simulation/invariants.js';

const Ins = defineResource({ type: 'Ins.inv.test.converge.dev', spec: z.object({ n: z.number() }) });
const Outs = defineResource({ type: 'Outs.inv.test.converge.dev', spec: z.object({ n: z.number() }) });

const Copy = defineController({
  name: 'Copy',
  inputs: [input.strong(Ins)],
  outputs: [output.exclusive(Outs)],
  reconcile: () => {},
});

function stored(r: AnyResource, meta: Partial<AnyResource['metadata']>): AnyResource {
  return { ...r, metadata: { ...r.metadata, version: 1, ...meta } };
}

describe('InvariantMonitor', () => {
  it('should flag a key reconciled while its previous reconcile still runs', () => {
    const monitor = new InvariantMonitor([Copy]);
    monitor.step = 7;
    const a = monitor.begin('Copy', 'Copy', 1);
    monitor.begin('Copy', 'Copy', 1);
    expect(monitor.violations).toEqual([
      {
        invariant: 'concurrentReconcile',
        message: 'Copy started reconciling Copy while its previous reconcile of Copy was still running',
        step: 7,
      },
    ]);
    monitor.end(a, 'ok');
    const other = new InvariantMonitor([Copy]);
    const b = other.begin('Copy', 'x', 1);
    other.end(b, 'ok');
    other.begin('Copy', 'x', 1);
    other.begin('Copy', 'y', 1);
    expect(other.violations).toEqual([]);
  });

  it('should remember the last outcome of each controller', () => {
    const monitor = new InvariantMonitor([Copy]);
    const run = monitor.begin('Copy', 'Copy', 1);
    monitor.end(run, 'error', { error: new Error('boom') });
    expect(monitor.lastReconcile.get('Copy')).toMatchObject({ outcome: 'error', error: 'Error: boom' });
    const again = monitor.begin('Copy', 'Copy', 1);
    monitor.end(again, 'requeue', { requeueAfter: 500 });
    expect(monitor.lastReconcile.get('Copy')).toMatchObject({ outcome: 'requeue', requeueAfter: 500 });
  });

  it('should abandon the open reconciles of a crashed incarnation only', () => {
    const monitor = new InvariantMonitor([Copy]);
    monitor.begin('Copy', 'a', 1);
    monitor.begin('Copy', 'b', 2);
    monitor.abandon(1);
    expect(monitor.open().map((r) => r.key)).toEqual(['b']);
    expect(monitor.lastReconcile.get('Copy')?.outcome).toBe('abandoned');
    monitor.begin('Copy', 'a', 2);
    expect(monitor.violations).toEqual([]);
  });

  it('should flag a write by a controller to a type it does not declare', () => {
    const monitor = new InvariantMonitor([Copy]);
    monitor.write({ op: 'create', pointer: Outs.pointer('a'), owner: 'Copy' });
    monitor.write({ op: 'create', pointer: Ins.pointer('a'), owner: '' });
    expect(monitor.violations).toEqual([]);
    monitor.write({ op: 'update', pointer: Ins.pointer('a'), owner: 'Copy' });
    expect(monitor.violations[0]?.invariant).toBe('undeclaredWrite');
    expect(monitor.violations[0]?.message).toContain(
      'Copy wrote (update) Ins.inv.test.converge.dev(default/a)',
    );
  });

  it('should report a storm once a key reconciles past the threshold without an input change', () => {
    const monitor = new InvariantMonitor([Copy], { stormThreshold: 5 });
    for (let i = 0; i < 5; i++) {
      monitor.write({ op: 'update', pointer: Outs.pointer('a'), owner: 'Copy' });
      monitor.end(monitor.begin('Copy', 'Copy', 1), 'ok');
    }
    expect(monitor.violations).toEqual([]);
    monitor.inputChanged();
    for (let i = 0; i < 6; i++) {
      monitor.write({ op: 'update', pointer: Outs.pointer('a'), owner: 'Copy' });
      monitor.end(monitor.begin('Copy', 'Copy', 1), 'ok');
    }
    expect(monitor.violations).toHaveLength(1);
    expect(monitor.violations[0]?.invariant).toBe('reconcileStorm');
    expect(monitor.violations[0]?.message).toBe(
      'reconcile storm: Copy reconciled Copy 6 times since the last input change; it keeps re-triggering ' +
        'itself (its writes meanwhile: Outs.inv.test.converge.dev(default/a) x6)',
    );
    expect(() => new InvariantMonitor([Copy], { stormThreshold: 0 })).toThrow(RangeError);
  });
});

describe('checkSettledResources', () => {
  const input = stored(Ins.make('a', { n: 1 }), {});
  const out = stored(Outs.make('a', { n: 1 }), { owner: 'Copy' });

  it('should accept finalizers of live controllers and allowed ones, and flag what they leave tearingDown', () => {
    const held = stored(Ins.make('b', { n: 1 }), { finalizers: ['Copy', 'user/hold'], phase: 'tearingDown' });
    expect(checkSettledResources([input, out], { controllers: ['Copy'] })).toEqual([]);
    const userHeld = stored(Ins.make('c', { n: 1 }), { finalizers: ['user/hold'], phase: 'tearingDown' });
    expect(
      checkSettledResources([userHeld], { controllers: ['Copy'], allowedFinalizers: ['user/hold'] }),
    ).toEqual([]);
    expect(
      checkSettledResources([held], { controllers: ['Copy'], allowedFinalizers: ['user/hold'] }),
    ).toEqual([
      {
        invariant: 'stuckTearingDown',
        message:
          'Ins.inv.test.converge.dev(default/b) is left tearingDown: finalizer(s) Copy were never removed',
      },
    ]);
  });

  it('should flag finalizers of controllers that do not exist', () => {
    const orphan = stored(Ins.make('a', { n: 1 }), { finalizers: ['Gone'] });
    expect(checkSettledResources([orphan], { controllers: ['Copy'] })).toEqual([
      {
        invariant: 'orphanFinalizer',
        message: 'Ins.inv.test.converge.dev(default/a) carries finalizer(s) Gone of no running controller',
      },
    ]);
  });

  it('should flag an output its owner left tearingDown with nothing holding it', () => {
    const left = stored(Outs.make('a', { n: 1 }), { owner: 'Copy', phase: 'tearingDown' });
    const violations = checkSettledResources([left], { controllers: ['Copy'] });
    expect(violations.map((v) => v.message)).toEqual([
      'Outs.inv.test.converge.dev(default/a) is left tearingDown with no finalizers: its owner Copy never destroyed it',
    ]);
  });
});

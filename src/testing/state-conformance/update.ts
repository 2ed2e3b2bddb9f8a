import { describe, expect, it } from 'vitest';
import {
  type ConflictError,
  isConflictError,
  isNotFoundError,
  isOwnerConflictError,
  isPhaseConflictError,
  isValidationError,
  type RuntimeError,
  type ValidationError,
} from '../../index.js';
import {
  atVersion,
  describeEvents,
  Items,
  itemKind,
  ns,
  plainItem,
  rejection,
  type SuiteContext,
  withValue,
} from './support.js';

/** Update: versions, timestamps, the order of its checks, and validation of every write. */
export function updateCases(ctx: SuiteContext): void {
  describe('update', () => {
    it('should bump the version by one, keep created and owner, and move updated', async () => {
      const { state } = ctx;
      const v1 = await state.create(Items.make('a', { value: 1 }), { owner: 'ctrl' });
      await ctx.tickPast(v1.metadata.updated);
      const v2 = await state.update(withValue(v1, 2), { owner: 'ctrl' });
      expect(v2.metadata.version).toBe(2);
      expect(v2.metadata.owner).toBe('ctrl');
      expect(v2.metadata.created).toBe(v1.metadata.created);
      expect(v2.metadata.updated).not.toBe(v1.metadata.updated);
      expect(Date.parse(v2.metadata.updated)).toBeGreaterThan(Date.parse(v1.metadata.updated));
      expect(v2.spec).toEqual({ value: 2, note: '' });
      // An update that changes nothing is still a stored change.
      const v3 = await state.update(v2, { owner: 'ctrl' });
      expect(v3.metadata.version).toBe(3);
      expect(await state.get(Items.pointer('a'))).toEqual(v3);
    });

    it("should keep created even when the caller's resource carries another one", async () => {
      const { state } = ctx;
      const v1 = await state.create(Items.make('a', { value: 1 }));
      const forged = { ...v1, metadata: { ...v1.metadata, created: '2000-01-01T00:00:00.000Z' } };
      const v2 = await state.update(forged);
      expect(v2.metadata.created).toBe(v1.metadata.created);
      const blank = { ...v2, metadata: { ...v2.metadata, created: '' } };
      expect((await state.update(blank)).metadata.created).toBe(v1.metadata.created);
    });

    it('should store the metadata the writer sets: labels, annotations, finalizers, phase', async () => {
      const { state } = ctx;
      const v1 = await state.create(Items.make('a', { value: 1 }));
      const v2 = await state.update({
        ...v1,
        metadata: {
          ...v1.metadata,
          labels: { k: 'v' },
          annotations: { a: 'b' },
          finalizers: ['f1', 'f2'],
          phase: 'tearingDown',
        },
      });
      expect(v2.metadata).toMatchObject({
        labels: { k: 'v' },
        annotations: { a: 'b' },
        phase: 'tearingDown',
        version: 2,
      });
      expect([...v2.metadata.finalizers].sort()).toEqual(['f1', 'f2']);
    });

    it('should check not found first, then owner, then version, then phase', async () => {
      const { state } = ctx;
      const missing = await rejection(
        state.update(atVersion(Items.make('nope', { value: 1 }), 7), {
          owner: 'someone',
          expectedPhase: 'tearingDown',
        }),
      );
      expect(isNotFoundError(missing)).toBe(true);

      const v1 = await state.create(Items.make('a', { value: 1 }), { owner: 'ctrl' });
      // Everything wrong: the owner is reported.
      const owner = await rejection(
        state.update(atVersion(withValue(v1, 2), 5), { owner: 'intruder', expectedPhase: 'tearingDown' }),
      );
      expect(isOwnerConflictError(owner)).toBe(true);
      expect((owner as RuntimeError).code).toBe('OwnerConflict');
      // No owner given is the user '' and conflicts with 'ctrl' as well.
      expect(isOwnerConflictError(await rejection(state.update(withValue(v1, 2))))).toBe(true);

      // Right owner, stale version and wrong phase: the version is reported.
      const version = await rejection(
        state.update(atVersion(withValue(v1, 2), 0), { owner: 'ctrl', expectedPhase: 'tearingDown' }),
      );
      expect(isConflictError(version)).toBe(true);
      expect(isOwnerConflictError(version)).toBe(false);
      expect(isPhaseConflictError(version)).toBe(false);
      expect((version as ConflictError).code).toBe('Conflict');
      expect((version as ConflictError).pointer).toMatchObject({ namespace: ns, type: Items.type, id: 'a' });
      // A version from the future conflicts too.
      const ahead = await rejection(state.update(atVersion(v1, 2), { owner: 'ctrl' }));
      expect((ahead as RuntimeError).code).toBe('Conflict');

      // Right owner and version, wrong phase: the phase is reported.
      const phase = await rejection(
        state.update(withValue(v1, 2), { owner: 'ctrl', expectedPhase: 'tearingDown' }),
      );
      expect(isPhaseConflictError(phase)).toBe(true);
      expect(isConflictError(phase)).toBe(true);
      expect((phase as ConflictError).code).toBe('PhaseConflict');
      expect((phase as ConflictError).pointer).toMatchObject({ id: 'a' });

      expect(await state.get(Items.pointer('a'))).toEqual(v1);
    });

    it("should expect phase 'running' by default and accept 'tearingDown' or 'any' when asked", async () => {
      const { state } = ctx;
      const v1 = await state.create(Items.make('a', { value: 1 }));
      const anyRunning = await state.update(withValue(v1, 2), { expectedPhase: 'any' });
      const explicit = await state.update(withValue(anyRunning, 3), { expectedPhase: 'running' });
      const down = await state.update({
        ...explicit,
        metadata: { ...explicit.metadata, phase: 'tearingDown' },
      });
      expect(down.metadata.phase).toBe('tearingDown');

      const byDefault = await rejection(state.update(withValue(down, 4)));
      expect(isPhaseConflictError(byDefault)).toBe(true);
      const asRunning = await rejection(state.update(withValue(down, 4), { expectedPhase: 'running' }));
      expect(isPhaseConflictError(asRunning)).toBe(true);

      const asDown = await state.update(withValue(down, 4), { expectedPhase: 'tearingDown' });
      expect(asDown.metadata.version).toBe(down.metadata.version + 1);
      const asAny = await state.update(withValue(asDown, 5), { expectedPhase: 'any' });
      expect(asAny.metadata).toMatchObject({ version: asDown.metadata.version + 1, phase: 'tearingDown' });
      expect(asAny.spec.value).toBe(5);
    });

    it('should never bring a tearing-down resource back to running, whatever the expected phase', async () => {
      const { state } = ctx;
      const v1 = await state.create(Items.make('a', { value: 1 }));
      const down = await state.update({ ...v1, metadata: { ...v1.metadata, phase: 'tearingDown' } });
      const back = (r: typeof down) => ({ ...r, metadata: { ...r.metadata, phase: 'running' as const } });
      for (const expectedPhase of ['any', 'tearingDown'] as const) {
        expect(isPhaseConflictError(await rejection(state.update(back(down), { expectedPhase })))).toBe(true);
        const inTransaction = await rejection(
          state.transaction([{ op: 'update', resource: back(down), expectedPhase }]),
        );
        expect(isPhaseConflictError(inTransaction)).toBe(true);
      }
      const viaHelper = await rejection(
        state.updateWithConflicts(
          Items.pointer('a'),
          (d) => {
            d.metadata.phase = 'running';
          },
          { expectedPhase: 'any' },
        ),
      );
      expect(isPhaseConflictError(viaHelper)).toBe(true);
      expect(await state.get(Items.pointer('a'))).toEqual(down);
    });

    it('should leave the store and the streams untouched when an update fails', async () => {
      const { state } = ctx;
      const v1 = await state.create(Items.make('a', { value: 1 }));
      const rec = ctx.record(state.watchKind(itemKind));
      await rejection(state.update(atVersion(withValue(v1, 9), 3)));
      await rejection(state.update(withValue(v1, 9), { owner: 'x' }));
      await rejection(state.update(withValue(v1, 9), { expectedPhase: 'tearingDown' }));
      // The next event must be this write, at version 2: nothing happened in between.
      await state.update(withValue(v1, 2));
      const events = await rec.count(1);
      expect(describeEvents(events)).toEqual(['updated a@2']);
      expect(events[0]!.type === 'updated' && events[0]!.old).toEqual(v1);
    });
  });

  describe('validation', () => {
    it('should reject a spec that fails its schema with ValidationError and store nothing', async () => {
      const { state } = ctx;
      expect(() => Items.make('bad', { value: 'one' } as never)).toThrow(
        expect.objectContaining({ code: 'Validation' }),
      );
      const rec = ctx.record(state.watchKind(itemKind));
      const bad = plainItem('bad', 1);
      const error = await rejection(state.create({ ...bad, spec: { value: 1.5 } }));
      expect(isValidationError(error)).toBe(true);
      const e = error as ValidationError;
      expect(e.code).toBe('Validation');
      expect(e.pointer).toMatchObject({ namespace: ns, type: Items.type, id: 'bad' });
      expect(e.issues.length).toBeGreaterThan(0);
      expect(e.issues[0]!.path).toEqual(['value']);
      expect(isValidationError(await rejection(state.create({ ...bad, spec: { note: 'no value' } })))).toBe(
        true,
      );
      expect(isNotFoundError(await rejection(state.get(Items.pointer('bad'))))).toBe(true);
      expect(await state.list(itemKind)).toEqual([]);

      const v1 = await state.create(Items.make('a', { value: 1 }));
      const badUpdate = await rejection(state.update({ ...v1, spec: { value: 'two' } as never }));
      expect(isValidationError(badUpdate)).toBe(true);
      expect((badUpdate as ValidationError).issues.length).toBeGreaterThan(0);
      expect(await state.get(Items.pointer('a'))).toEqual(v1);
      // The only event is the create of `a`: the rejected writes left no trace.
      await state.update(withValue(v1, 2));
      expect(describeEvents(await rec.count(2))).toEqual(['created a@1', 'updated a@2']);
    });

    it('should store the schema output: defaults applied to what a writer leaves out', async () => {
      const { state } = ctx;
      const input = plainItem('a', 1);
      const stored = await state.create({ ...input, spec: { value: 1 } });
      expect(stored.spec).toEqual({ value: 1, note: '' });
    });

    it('should reject malformed identities and metadata with ValidationError', async () => {
      const { state } = ctx;
      const good = plainItem('a', 1);
      const cases = [
        { ...good, metadata: { ...good.metadata, id: '' } },
        { ...good, metadata: { ...good.metadata, namespace: '' } },
        { ...good, metadata: { ...good.metadata, labels: { k: 1 } } },
        { ...good, metadata: { ...good.metadata, finalizers: [''] } },
        { ...good, metadata: { ...good.metadata, phase: 'gone' } },
      ];
      for (const resource of cases) {
        const error = await rejection(state.create(resource as never));
        expect(isValidationError(error), JSON.stringify(resource.metadata)).toBe(true);
      }
      expect(await state.list(itemKind)).toEqual([]);
    });
  });

  describe('errors', () => {
    it('should classify errors by code and guard, conflicts including owner and phase conflicts', async () => {
      const { state } = ctx;
      const v1 = await state.create(Items.make('a', { value: 1 }, { finalizers: ['f'] }), { owner: 'o' });
      const notFound = await rejection(state.get(Items.pointer('x')));
      const exists = await rejection(state.create(Items.make('a', { value: 1 })));
      const owner = await rejection(state.destroy(Items.pointer('a')));
      const pending = await rejection(state.destroy(Items.pointer('a'), { owner: 'o' }));
      const phase = await rejection(state.update(v1, { owner: 'o', expectedPhase: 'tearingDown' }));
      const rows = [notFound, exists, owner, pending, phase].map((e) => [
        (e as RuntimeError).code,
        isNotFoundError(e),
        isConflictError(e),
        isOwnerConflictError(e),
        isPhaseConflictError(e),
      ]);
      expect(rows).toEqual([
        ['NotFound', true, false, false, false],
        ['Conflict', false, true, false, false],
        ['OwnerConflict', false, true, true, false],
        ['Conflict', false, true, false, false],
        ['PhaseConflict', false, true, false, true],
      ]);
      for (const e of [notFound, exists, owner, pending, phase]) {
        expect(e).toBeInstanceOf(Error);
        expect((e as RuntimeError).pointer).toMatchObject({ namespace: ns, type: Items.type });
      }
    });
  });
}

import { describe, expect, it } from 'vitest';
import { type AnyResource, type LabelTerm, label, type State, type WatchEvent } from '../../index.js';
import { describeEvents, Items, itemKind, type SuiteContext } from './support.js';

type Labels = Record<string, string>;
/** One row of the truth table: labels, a term, whether the term holds. */
type Row = readonly [labels: Labels, term: LabelTerm, holds: boolean];

const inv = { invert: true } as const;
const raw = (key: string, op: LabelTerm['op'], value: string[], invert = false): LabelTerm =>
  invert ? { key, op, value, invert } : { key, op, value };

/** COSI's truth table (cosi-semantics §1.8), written out case by case. */
const truthTable: readonly Row[] = [
  // exists: a missing key is false, and true when inverted; an empty value is present.
  [{ env: 'prod' }, label.exists('env'), true],
  [{ env: '' }, label.exists('env'), true],
  [{}, label.exists('env'), false],
  [{ other: 'x' }, label.exists('env'), false],
  [{ env: 'prod' }, label.exists('env', inv), false],
  [{}, label.exists('env', inv), true],
  [{ other: 'x' }, label.exists('env', inv), true],
  // equal
  [{ env: 'prod' }, label.equal('env', 'prod'), true],
  [{ env: 'dev' }, label.equal('env', 'prod'), false],
  [{ env: '' }, label.equal('env', ''), true],
  [{}, label.equal('env', 'prod'), false],
  [{ env: 'prod' }, label.equal('env', 'prod', inv), false],
  [{ env: 'dev' }, label.equal('env', 'prod', inv), true],
  [{}, label.equal('env', 'prod', inv), true],
  // in, including an empty set (false, so true when inverted)
  [{ env: 'prod' }, label.in('env', ['prod', 'dev']), true],
  [{ env: 'dev' }, label.in('env', ['prod', 'dev']), true],
  [{ env: 'stage' }, label.in('env', ['prod', 'dev']), false],
  [{}, label.in('env', ['prod', 'dev']), false],
  [{ env: 'prod' }, label.in('env', ['prod', 'dev'], inv), false],
  [{ env: 'stage' }, label.in('env', ['prod', 'dev'], inv), true],
  [{}, label.in('env', ['prod', 'dev'], inv), true],
  [{ env: 'prod' }, label.in('env', []), false],
  [{ env: 'prod' }, label.in('env', [], inv), true],
  // lt / lte compare strings; a missing key is undefined: false, inverted or not
  [{ v: 'a' }, label.lt('v', 'b'), true],
  [{ v: 'b' }, label.lt('v', 'b'), false],
  [{ v: 'c' }, label.lt('v', 'b'), false],
  [{ v: 'B' }, label.lt('v', 'b'), true],
  [{ v: '10' }, label.lt('v', '9'), true],
  [{}, label.lt('v', 'b'), false],
  [{ v: 'a' }, label.lt('v', 'b', inv), false],
  [{ v: 'c' }, label.lt('v', 'b', inv), true],
  [{}, label.lt('v', 'b', inv), false],
  [{ v: 'b' }, label.lte('v', 'b'), true],
  [{ v: 'a' }, label.lte('v', 'b'), true],
  [{ v: 'c' }, label.lte('v', 'b'), false],
  [{}, label.lte('v', 'b'), false],
  [{ v: 'b' }, label.lte('v', 'b', inv), false],
  [{ v: 'c' }, label.lte('v', 'b', inv), true],
  [{}, label.lte('v', 'b', inv), false],
  [{ v: 'a' }, raw('v', 'lt', []), false],
  [{ v: 'a' }, raw('v', 'lt', [], true), true],
  // ltNumeric / lteNumeric compare numbers
  [{ n: '9' }, label.ltNumeric('n', '10'), true],
  [{ n: '10' }, label.ltNumeric('n', '10'), false],
  [{ n: '11' }, label.ltNumeric('n', '10'), false],
  [{ n: '-5' }, label.ltNumeric('n', '10'), true],
  [{ n: '-1k' }, label.ltNumeric('n', '0'), true],
  [{}, label.ltNumeric('n', '10'), false],
  [{ n: '9' }, label.ltNumeric('n', '10', inv), false],
  [{ n: '11' }, label.ltNumeric('n', '10', inv), true],
  [{}, label.ltNumeric('n', '10', inv), false],
  [{ n: '10' }, label.lteNumeric('n', '10'), true],
  [{ n: '11' }, label.lteNumeric('n', '10'), false],
  [{ n: '10' }, label.lteNumeric('n', '10', inv), false],
  [{ n: '11' }, label.lteNumeric('n', '10', inv), true],
  [{}, label.lteNumeric('n', '10', inv), false],
  [{ n: '1' }, raw('n', 'ltNumeric', []), false],
  [{ n: '1' }, raw('n', 'ltNumeric', [], true), true],
  // unparsable numbers, on either side: false even when inverted
  [{ n: 'ten' }, label.ltNumeric('n', '10'), false],
  [{ n: 'ten' }, label.ltNumeric('n', '10', inv), false],
  [{ n: '10x' }, label.lteNumeric('n', '100'), false],
  [{ n: '10x' }, label.lteNumeric('n', '100', inv), false],
  [{ n: '-' }, label.lteNumeric('n', '100'), false],
  [{ n: '' }, label.lteNumeric('n', '100', inv), false],
  [{ n: '1-2' }, label.lteNumeric('n', '100', inv), false],
  [{ n: '9' }, label.ltNumeric('n', 'NaN'), false],
  [{ n: '9' }, label.ltNumeric('n', 'NaN', inv), false],
  [{ n: '9' }, label.lteNumeric('n', 'x1', inv), false],
  // binary units are powers of 1024, decimal ones powers of 1000 (`m` is mega), any case
  [{ n: '1Ki' }, label.lteNumeric('n', '1024'), true],
  [{ n: '1Ki' }, label.ltNumeric('n', '1024'), false],
  [{ n: '1k' }, label.lteNumeric('n', '1000'), true],
  [{ n: '1k' }, label.ltNumeric('n', '1000'), false],
  [{ n: '1k' }, label.ltNumeric('n', '1Ki'), true],
  [{ n: '1Mi' }, label.lteNumeric('n', '1048576'), true],
  [{ n: '1Mi' }, label.ltNumeric('n', '1048576'), false],
  [{ n: '1m' }, label.lteNumeric('n', '1000000'), true],
  [{ n: '1m' }, label.ltNumeric('n', '1000000'), false],
  [{ n: '1M' }, label.lteNumeric('n', '1000000'), true],
  [{ n: '1m' }, label.ltNumeric('n', '1Mi'), true],
  [{ n: '1Gi' }, label.lteNumeric('n', '1073741824'), true],
  [{ n: '1gi' }, label.ltNumeric('n', '1073741824'), false],
  [{ n: '1g' }, label.lteNumeric('n', '1000000000'), true],
  [{ n: '1G' }, label.ltNumeric('n', '1Gi'), true],
  [{ n: '1Ti' }, label.lteNumeric('n', '1099511627776'), true],
  [{ n: '1Ti' }, label.ltNumeric('n', '1099511627776'), false],
  [{ n: '2t' }, label.lteNumeric('n', '2000000000000'), true],
  [{ n: '2t' }, label.ltNumeric('n', '2000000000000'), false],
  [{ n: '1t' }, label.ltNumeric('n', '1Ti'), true],
  [{ n: '1Pi' }, label.lteNumeric('n', '1125899906842624'), true],
  [{ n: '1Pi' }, label.ltNumeric('n', '1125899906842624'), false],
  [{ n: '3p' }, label.lteNumeric('n', '3000000000000000'), true],
  [{ n: '3P' }, label.ltNumeric('n', '3000000000000000'), false],
  [{ n: '1p' }, label.ltNumeric('n', '1Pi'), true],
  // anything after the unit is ignored
  [{ n: '10kg' }, label.lteNumeric('n', '10000'), true],
  [{ n: '10kg' }, label.ltNumeric('n', '10000'), false],
  [{ n: '4GB' }, label.lteNumeric('n', '4000000000'), true],
  [{ n: '4GB' }, label.ltNumeric('n', '4000000000'), false],
  [{ n: '5GiB' }, label.lteNumeric('n', '5368709120'), true],
  [{ n: '5GiB' }, label.ltNumeric('n', '5368709120'), false],
  // spaces around the number and its unit are ignored
  [{ n: ' 10 ' }, label.lteNumeric('n', '10'), true],
  [{ n: ' 10 ' }, label.ltNumeric('n', '10'), false],
  [{ n: '10 Ki' }, label.lteNumeric('n', '10240'), true],
  [{ n: '10 Ki' }, label.ltNumeric('n', '10240'), false],
  [{ n: '3' }, label.ltNumeric('n', ' 4k '), true],
  // numeric and string order differ
  [{ n: '9' }, label.lt('n', '10'), false],
  [{ n: '9' }, label.ltNumeric('n', '10'), true],
];

function describeRow([labels, term, holds]: Row): string {
  return `${JSON.stringify(labels)} ${term.invert ? 'not ' : ''}${term.op}(${term.key}, ${JSON.stringify(term.value ?? [])}) should be ${holds}`;
}

const ids = (resources: readonly AnyResource[]) => resources.map((r) => r.metadata.id);

/** One resource per distinct label set of the table, with ids in creation (and sort) order. */
const labelSets = [...new Set(truthTable.map(([labels]) => JSON.stringify(labels)))];
const idOf = (labels: Labels) => `l${String(labelSets.indexOf(JSON.stringify(labels))).padStart(3, '0')}`;

async function createLabelled(state: State): Promise<void> {
  for (const labels of labelSets) {
    const parsed = JSON.parse(labels) as Labels;
    await state.create(Items.make(idOf(parsed), { value: 0 }, { labels: parsed }));
  }
}

const eventIds = (events: readonly WatchEvent[], type: WatchEvent['type']) =>
  events.flatMap((e) => (e.type === type && 'resource' in e ? [e.resource.metadata.id] : []));

/** Label and id queries on `list` and on kind watches. */
export function queryCases(ctx: SuiteContext): void {
  describe('queries', () => {
    it('should evaluate every label term as COSI’s truth table says, on list', async () => {
      const { state } = ctx;
      await createLabelled(state);
      const failures: string[] = [];
      for (const row of truthTable) {
        const listed = ids(await state.list(itemKind, { labelQuery: [row[1]] }));
        if (listed.includes(idOf(row[0])) !== row[2]) failures.push(describeRow(row));
      }
      expect(failures).toEqual([]);
    });

    it('should evaluate the same truth table on kind watches, in snapshots and live', async () => {
      const { state } = ctx;
      const live = truthTable.map(([, term]) =>
        ctx.record(state.watchKind(itemKind, { labelQuery: [term] })),
      );
      await createLabelled(state);
      const failures: string[] = [];
      const matching: string[][] = [];
      for (const row of truthTable) {
        const boot = ctx.record(state.watchKind(itemKind, { labelQuery: [row[1]], bootstrapContents: true }));
        const snapshot = await boot.until((items) => items.some((e) => e.type === 'bootstrapped'));
        const snapshotIds = eventIds(snapshot, 'created');
        matching.push(snapshotIds);
        if (snapshotIds.includes(idOf(row[0])) !== row[2]) failures.push(`snapshot: ${describeRow(row)}`);
        expect(snapshotIds).toEqual(ids(await state.list(itemKind, { labelQuery: [row[1]] })));
      }
      expect(failures).toEqual([]);
      // Destroying everything after the creates: a live stream must hold exactly its matches, twice.
      for (const labels of labelSets) await state.destroy(Items.pointer(idOf(JSON.parse(labels) as Labels)));
      for (const [i, row] of truthTable.entries()) {
        const n = matching[i]!.length;
        if (n === 0) continue;
        const events = await live[i]!.count(2 * n);
        expect(eventIds(events.slice(0, n), 'created'), describeRow(row)).toEqual(matching[i]);
        expect(eventIds(events.slice(n), 'destroyed'), describeRow(row)).toEqual(matching[i]);
      }
      for (const [i, row] of truthTable.entries()) {
        if (matching[i]!.length === 0) expect(describeEvents(live[i]!.items), describeRow(row)).toEqual([]);
      }
    });

    it('should AND the terms of a query and OR several queries', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }, { labels: { env: 'prod', tier: 'web' } }));
      await state.create(Items.make('b', { value: 1 }, { labels: { env: 'prod', tier: 'db' } }));
      await state.create(Items.make('c', { value: 1 }, { labels: { env: 'dev', tier: 'web' } }));
      await state.create(Items.make('d', { value: 1 }));
      const and = [label.equal('env', 'prod'), label.equal('tier', 'web')];
      expect(ids(await state.list(itemKind, { labelQuery: and }))).toEqual(['a']);
      const or = [[label.equal('tier', 'db')], [label.equal('env', 'dev')]];
      expect(ids(await state.list(itemKind, { labelQuery: or }))).toEqual(['b', 'c']);
      expect(ids(await state.list(itemKind, { labelQuery: [] }))).toEqual(['a', 'b', 'c', 'd']);
      const notProd = [label.equal('env', 'prod', inv)];
      expect(ids(await state.list(itemKind, { labelQuery: notProd }))).toEqual(['c', 'd']);
    });

    it('should match the id query against ids, alone and with a label query', async () => {
      const { state } = ctx;
      for (const id of ['eth0', 'eth1', 'lo', 'wlan0']) {
        await state.create(Items.make(id, { value: 1 }, { labels: id === 'eth1' ? { up: 'true' } : {} }));
      }
      expect(ids(await state.list(itemKind, { idQuery: /^eth/ }))).toEqual(['eth0', 'eth1']);
      expect(ids(await state.list(itemKind, { idQuery: /0$/ }))).toEqual(['eth0', 'wlan0']);
      // A global regexp keeps state between tests; every id must still be tested from the start.
      const global = /\d/g;
      expect(ids(await state.list(itemKind, { idQuery: global }))).toEqual(['eth0', 'eth1', 'wlan0']);
      expect(ids(await state.list(itemKind, { idQuery: global }))).toEqual(['eth0', 'eth1', 'wlan0']);
      expect(
        ids(await state.list(itemKind, { idQuery: /^eth/, labelQuery: [label.exists('up', inv)] })),
      ).toEqual(['eth0']);
    });

    it('should turn updates that flip a label match into created and destroyed without old', async () => {
      const { state } = ctx;
      const query = { labelQuery: [label.equal('tier', 'x')] };
      const rec = ctx.record(state.watchKind(itemKind, query));
      const batches = ctx.record(state.watchKindAggregated(itemKind, query));
      const relabel = (r: AnyResource, tier: string) => ({
        ...r,
        metadata: { ...r.metadata, labels: { tier } },
      });
      const a1 = await state.create(Items.make('a', { value: 1 }, { labels: { tier: 'x' } }));
      const b1 = await state.create(Items.make('b', { value: 1 }, { labels: { tier: 'y' } }));
      const a2 = await state.update({ ...a1, spec: { value: 2, note: '' } }); // stays matching
      const a3 = await state.update(relabel(a2, 'y')); // stops matching
      const b2 = await state.update(relabel(b1, 'x')); // starts matching
      await state.update({ ...a3, spec: { value: 4, note: '' } }); // matches neither time
      await state.destroy(Items.pointer('a')); // not matching: dropped
      await state.destroy(Items.pointer('b')); // matching
      const events = await rec.count(5);
      expect(describeEvents(events)).toEqual([
        'created a@1',
        'updated a@2',
        'destroyed a@3',
        'created b@2',
        'destroyed b@2',
      ]);
      expect(events[1]).toMatchObject({ old: a1, resource: a2 });
      expect(events[2]).toEqual({ type: 'destroyed', resource: a3, bookmark: expect.any(String) });
      expect('old' in events[2]!).toBe(false);
      expect(events[3]).toEqual({ type: 'created', resource: b2, bookmark: expect.any(String) });
      expect('old' in events[3]!).toBe(false);
      const all = await batches.until((items) => items.flat().length >= 5);
      expect(all.flat()).toEqual(events);

      // A bootstrap applies the query to the snapshot.
      await state.create(Items.make('c', { value: 1 }, { labels: { tier: 'x' } }));
      await state.create(Items.make('d', { value: 1 }, { labels: { tier: 'y' } }));
      const boot = ctx.record(state.watchKind(itemKind, { ...query, bootstrapContents: true }));
      expect(describeEvents(await boot.count(2))).toEqual(['created c@1', 'bootstrapped']);
    });

    it('should filter kind watches by id query and by several ORed label queries', async () => {
      const { state } = ctx;
      const byId = ctx.record(state.watchKind(itemKind, { idQuery: /^keep/ }));
      const ored = ctx.record(
        state.watchKind(itemKind, { labelQuery: [[label.exists('a')], [label.exists('b')]] }),
      );
      await state.create(Items.make('drop-1', { value: 1 }, { labels: { a: '1' } }));
      await state.create(Items.make('keep-1', { value: 1 }));
      await state.create(Items.make('keep-2', { value: 1 }, { labels: { b: '1' } }));
      await state.create(Items.make('zz', { value: 1 }, { labels: { c: '1' } }));
      await state.destroy(Items.pointer('keep-1'));
      expect(describeEvents(await byId.count(3))).toEqual([
        'created keep-1@1',
        'created keep-2@1',
        'destroyed keep-1@1',
      ]);
      expect(describeEvents(await ored.count(2))).toEqual(['created drop-1@1', 'created keep-2@1']);
      // Nothing else arrives before a later matching write.
      await state.create(Items.make('keep-3', { value: 1 }, { labels: { a: '1' } }));
      expect(describeEvents(await byId.count(4)).at(-1)).toBe('created keep-3@1');
      expect(describeEvents(await ored.count(3))).toEqual([
        'created drop-1@1',
        'created keep-2@1',
        'created keep-3@1',
      ]);
    });
  });
}

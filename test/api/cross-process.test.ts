import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteState } from '../../src/api/remote-state.js';
import {
  createRuntime,
  defineController,
  input,
  output,
  type Runtime,
  type State,
  transformController,
} from '../../src/index.js';
import { type ChildServer, startChildServer } from './helpers/child-server.js';
import { Doubles, Sources, Totals } from './helpers/controller-types.js';
import { testCertificates } from './helpers/fixture.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const DoubleController = transformController({
  name: 'DoubleController',
  inputFinalizers: true,
  input: Sources,
  output: Doubles,
  map: (s) => Doubles.make(s.metadata.id, { value: s.spec.value * 2 }),
});

const TotalController = defineController({
  name: 'TotalController',
  inputs: [input.weak(Doubles)],
  outputs: [output.exclusive(Totals)],
  async reconcile(ctx) {
    const doubles = await ctx.list(Doubles.kind());
    await ctx.modify(Totals.make('all', { count: 0, sum: 0 }), (d) => {
      d.spec.count = doubles.length;
      d.spec.sum = doubles.reduce((a, r) => a + r.spec.value, 0);
    });
  },
});

let server: ChildServer | undefined;
let proxy: TcpProxy | undefined;
let runtime: Runtime | undefined;
const clients: State[] = [];

afterEach(async () => {
  await runtime?.stop();
  for (const c of clients.splice(0)) await c.close?.();
  await proxy?.close();
  await server?.stop();
});

describe('a controller runtime over the API', () => {
  it('should converge a store served by another process, through dropped connections', {
    timeout: 90_000,
  }, async () => {
    const certs = await testCertificates();
    server = await startChildServer(certs);
    proxy = await startTcpProxy(Number(new URL(server.url).port));
    const remote = (url: string, role: 'operator' | 'admin') => {
      const client = createRemoteState({
        url,
        tls: { ca: certs.ca.cert, ...certs.clients[role] },
        watchRetry: { minBackoffMs: 5, maxBackoffMs: 100 },
      });
      clients.push(client);
      return client;
    };
    // The runtime reaches the server through a proxy that the test cuts; the user writes directly.
    // Its reconciles fail while the proxy is cut, by design: the test asserts on the outcome.
    runtime = createRuntime({ state: remote(proxy.url, 'operator'), logger: pino({ level: 'silent' }) });
    runtime.register(DoubleController);
    runtime.register(TotalController);
    await runtime.start();
    const user = remote(server.url, 'operator');

    const values = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const id = `s${i % 20}`;
      if (!values.has(id)) {
        await user.create(Sources.make(id, { value: i }));
        values.set(id, i);
      } else if (i % 7 === 0) {
        await user.teardownAndDestroy(Sources.pointer(id));
        values.delete(id);
      } else {
        await user.updateWithConflicts(Sources.pointer(id), (d) => {
          d.spec.value = i;
        });
        values.set(id, i);
      }
      if (i % 9 === 4) proxy.cut();
    }

    const expected = [...values]
      .map(([id, v]) => [id, v * 2])
      .sort(([a], [b]) => String(a).localeCompare(String(b)));
    let doubles: (string | number)[][] = [];
    let total: { count: number; sum: number } | undefined;
    const converged = () =>
      JSON.stringify(doubles) === JSON.stringify(expected) &&
      total?.count === expected.length &&
      total.sum === expected.reduce((a, [, v]) => a + Number(v), 0);
    // Polls the store until the controllers caught up; the deadline only stops a broken run.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      doubles = (await user.list(Doubles.kind())).map((r) => [r.metadata.id, r.spec.value]);
      total = (await user.get(Totals.pointer('all')).catch(() => undefined))?.spec;
      if (converged()) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(total).toEqual({ count: expected.length, sum: expected.reduce((a, [, v]) => a + Number(v), 0) });
    expect(doubles).toEqual(expected);
    expect(proxy.connections).toBeGreaterThan(3);
    // Torn-down sources lost their finalizer and are gone; the live ones carry it.
    const sources = await user.list(Sources.kind());
    expect(sources.map((s) => s.metadata.id).sort()).toEqual([...values.keys()].sort());
    for (const s of sources) expect(s.metadata.finalizers).toContain('DoubleController');
  });
});

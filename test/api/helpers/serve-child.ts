/**
 * An API server over a fresh in-memory store, in its own process (started with `fork`), for the
 * load and multi-process tests. It reads its certificates from the first IPC message, answers
 * `{ url }`, reports its heap after a full GC on `memory` and its CPU time on `cpu`, and exits on `stop` or when the parent goes.
 */
import { createApiServer } from '../../../src/api/server.js';
import { createState } from '../../../src/runtime/state/create-state.js';
import './controller-types.js';
import './fixture.js';

interface StartMessage {
  type: 'start';
  tls: { ca: string; cert: string; key: string };
  limits?: Record<string, number>;
}

const send = (message: unknown) => process.send?.(message);

process.once('message', async (start: StartMessage) => {
  const state = createState();
  const server = createApiServer({
    state,
    tls: start.tls,
    ...(start.limits ? { limits: start.limits } : {}),
  });
  const url = await server.listen();
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      send({
        type: 'memory',
        heapUsed: process.memoryUsage().heapUsed,
        cpu: process.cpuUsage(),
        ...server.stats(),
      });
    } else if (message.type === 'cpu') {
      send({ type: 'cpu', cpu: process.cpuUsage() });
    } else if (message.type === 'stop') {
      await server.close();
      process.exit(0);
    }
  });
  send({ type: 'ready', url });
});
process.on('disconnect', () => process.exit(0));

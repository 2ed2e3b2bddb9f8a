import { createRemoteState } from '../../src/api/remote-state.js';
import { type ApiServer, createApiServer } from '../../src/api/server.js';
import { createState } from '../../src/runtime/state/create-state.js';
import type { State } from '../../src/runtime/state/state.js';
import { describeStateConformance } from '../../src/testing/index.js';
import { testCertificates } from './helpers/fixture.js';

const servers = new Map<State, ApiServer>();

/** A fresh in-memory store served over HTTPS on loopback, reached through the remote client. */
async function remoteStore(): Promise<State> {
  const certs = await testCertificates();
  const server = createApiServer({ state: createState(), tls: { ca: certs.ca.cert, ...certs.server } });
  const url = await server.listen();
  const state = createRemoteState({ url, tls: { ca: certs.ca.cert, ...certs.clients.admin } });
  servers.set(state, server);
  return state;
}

// The served store keeps a bounded history, but writes over the API cannot burst inside one JS turn
// on the server, so the overrun cases that need synchronous bursts do not apply (no `history`).
describeStateConformance('remote over HTTPS (in-memory behind the API)', remoteStore, {
  cleanup: async (state) => {
    await state.close?.();
    await servers.get(state)?.close();
    servers.delete(state);
  },
});

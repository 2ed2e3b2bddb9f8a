import { describe, expect, it } from 'vitest';
import type { NodeClient } from '../../../src/cli/node/node-client.js';
import { serviceCommand, servicesCommand } from '../../../src/cli/node/node-commands.js';
import type { ServiceStatus } from '../../../src/node/supervisor/service-runner.js';

function service(id: string, patch: Partial<ServiceStatus> = {}): ServiceStatus {
  return {
    id,
    state: 'Running',
    message: 'Health check successful',
    healthy: true,
    hasHealthCheck: true,
    restarts: 0,
    userControllable: true,
    ...patch,
  };
}

/** A node that answers the services listing and nothing else. */
function nodeWith(name: string, services: readonly ServiceStatus[]): NodeClient {
  const refuse = () => Promise.reject(new Error('not part of this test'));
  return {
    name,
    endpoint: `https://${name}:50000`,
    async json<T>(method: string, path: string): Promise<T> {
      if (method === 'GET' && path === '/v1/node/services') return { services } as T;
      throw new Error(`unexpected ${method} ${path}`);
    },
    text: refuse,
    stream: refuse,
    close: () => undefined,
  };
}

function sink(): { text: () => string; write: (t: string) => void } {
  let out = '';
  return { text: () => out, write: (t) => (out += t) };
}

describe('services and service status', () => {
  const nodes = [
    nodeWith('cp-1', [service('etcd'), service('apid', { healthy: undefined, hasHealthCheck: false })]),
    nodeWith('worker-1', [service('kubelet', { healthy: false, restarts: 2, message: 'exited' })]),
  ];

  it('should list the services of every node in one table, sorted by node and service', async () => {
    const out = sink();
    await servicesCommand(nodes, out, sink());
    const rows = out
      .text()
      .trim()
      .split('\n')
      .map((l) => l.split(/\s{2,}/));
    expect(rows).toEqual([
      ['NODE', 'SERVICE', 'STATE', 'HEALTH', 'RESTARTS', 'LAST EVENT'],
      ['cp-1', 'apid', 'Running', '-', '0', 'Health check successful'],
      ['cp-1', 'etcd', 'Running', 'OK', '0', 'Health check successful'],
      ['worker-1', 'kubelet', 'Running', 'Fail', '2', 'exited'],
    ]);
  });

  it('should print the status of one service, and fail for a service a node does not have', async () => {
    const out = sink();
    await serviceCommand([nodes[0]!], 'etcd', 'status', out, sink());
    expect(out.text()).toBe('cp-1 etcd Running healthy=true restarts=0 Health check successful\n');
    await expect(serviceCommand([nodes[1]!], 'etcd', 'status', sink(), sink())).rejects.toThrow(
      'service "etcd" is not loaded',
    );
  });
});

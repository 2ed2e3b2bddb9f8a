import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KubeletSpecs, KubeletStatuses, NodeIPs } from '../../../src/node/index.js';
import { bootScriptedKubeletNode, kubeletTestConfig, type ScriptedKubeletNode } from './kubelet-node.js';

let current: ScriptedKubeletNode | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function boot(config = kubeletTestConfig()): Promise<ScriptedKubeletNode> {
  current = await bootScriptedKubeletNode(config);
  return current;
}

const nodeIPArg = (args: readonly string[] | undefined) => args?.find((a) => a.startsWith('--node-ip='));

describe('the kubelet service on a node', () => {
  it('starts the kubelet once, with its files written and what it started from recorded', async () => {
    const { node, starts, dir } = await boot();
    expect(starts).toHaveLength(1);
    expect(nodeIPArg(starts[0])).toBe('--node-ip=10.0.0.50');
    expect(node.supervisor.status('kubelet').state).toBe('Running');
    const spec = await node.state.get(KubeletSpecs.pointer('kubelet'));
    expect(parse(await readFile(join(dir, 'kubelet', 'kubelet.yaml'), 'utf8'))).toEqual(spec.spec.config);
    const kubeconfig = parse(await readFile(join(dir, 'kubelet', 'bootstrap-kubeconfig'), 'utf8'));
    expect(kubeconfig.users[0].user.token).toBe('abcdef.0123456789abcdef');
    expect(kubeconfig.clusters[0].cluster.server).toBe('https://10.0.0.10:6443');
    const status = await node.state.get(KubeletStatuses.pointer('kubelet'));
    expect(status.spec.nodename).toBe('worker-1');
  });

  it('does not restart for a second address, even one that sorts first', async () => {
    const { node, starts, settle } = await boot();
    await node.applyConfig(kubeletTestConfig({ addresses: ['10.0.0.50/24', '10.0.0.20/24'] }));
    await settle();
    expect((await node.state.get(NodeIPs.pointer('kubelet'))).spec.addresses).toEqual(['10.0.0.50']);
    expect(starts).toHaveLength(1);
  });

  it('restarts exactly once for a new node IP, with the new address', async () => {
    const { node, starts, settle } = await boot();
    await node.applyConfig(kubeletTestConfig({ addresses: ['10.0.0.60/24'] }));
    await settle();
    expect(starts).toHaveLength(2);
    expect(nodeIPArg(starts[1])).toBe('--node-ip=10.0.0.60');
    expect(node.supervisor.status('kubelet').state).toBe('Running');
  });

  it('restarts exactly once when validSubnets pick another present address', async () => {
    const { node, starts, settle } = await boot(
      kubeletTestConfig({ addresses: ['10.0.0.50/24', '192.168.7.9/24'] }),
    );
    expect(nodeIPArg(starts[0])).toBe('--node-ip=10.0.0.50');
    await node.applyConfig(
      kubeletTestConfig({ addresses: ['10.0.0.50/24', '192.168.7.9/24'], validSubnets: ['192.168.7.0/24'] }),
    );
    await settle();
    expect(starts.map(nodeIPArg)).toEqual(['--node-ip=10.0.0.50', '--node-ip=192.168.7.9']);
  });

  it('restarts exactly once when its secrets change', async () => {
    const { node, starts, settle, dir } = await boot();
    await node.applyConfig(kubeletTestConfig({ token: 'zyxwvu.0123456789zyxwvu' }));
    await settle();
    expect(starts).toHaveLength(2);
    const kubeconfig = parse(await readFile(join(dir, 'kubelet', 'bootstrap-kubeconfig'), 'utf8'));
    expect(kubeconfig.users[0].user.token).toBe('zyxwvu.0123456789zyxwvu');
  });

  it('restarts nothing under any sequence of unrelated config edits and second addresses', async () => {
    const edit = fc.record({
      addresses: fc.constantFrom(
        ['10.0.0.50/24'],
        ['10.0.0.50/24', '10.0.0.20/24'],
        ['10.0.0.9/24', '10.0.0.50/24'],
      ),
      nameservers: fc.subarray(['10.0.0.1', '1.1.1.1', '9.9.9.9']),
      timeServers: fc.subarray(['a.example.org', 'b.example.org'], { minLength: 1 }),
      nodeLabels: fc.dictionary(fc.constantFrom('zone', 'rack', 'tier'), fc.constantFrom('a', 'b')),
      certSANs: fc.subarray(['worker-1.example.org', '10.0.0.50']),
      installImage: fc.constantFrom(
        'ghcr.io/siderolabs/installer:v1.13.0',
        'ghcr.io/siderolabs/installer:v1.13.1',
      ),
      etcdArgs: fc.dictionary(
        fc.constantFrom('election-timeout', 'heartbeat-interval'),
        fc.constantFrom('100', '5000'),
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
        const { node, starts, settle, close } = await bootScriptedKubeletNode(kubeletTestConfig());
        try {
          for (const e of edits) {
            await node.applyConfig(kubeletTestConfig(e));
            await settle();
          }
          expect(starts).toHaveLength(1);
        } finally {
          await close();
        }
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});

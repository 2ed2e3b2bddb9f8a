import { describe, expect, it } from 'vitest';
import { kubeletConfigController } from '../../../src/controllers/k8s/kubelet-config-controller.js';
import { kubeletPaths } from '../../../src/controllers/k8s/kubelet-files.js';
import { kubeletSpecController } from '../../../src/controllers/k8s/kubelet-spec-controller.js';
import { nodeIPConfigController } from '../../../src/controllers/k8s/node-ip-config-controller.js';
import { nodeIPController } from '../../../src/controllers/k8s/node-ip-controller.js';
import { nodenameController } from '../../../src/controllers/k8s/nodename-controller.js';
import { kubeletSecretsController } from '../../../src/controllers/secrets/kubelet-controller.js';
import {
  HostnameStatuses,
  KubeletSecrets,
  KubeletSpecs,
  MachineConfigs,
  NodeAddresses,
  NodeIPConfigs,
  NodeIPs,
  Nodenames,
  type V1Alpha1ConfigInput,
  v1alpha1ConfigSchema,
} from '../../../src/node/index.js';
import type { State } from '../../../src/runtime/state/state.js';
import { controllerHarness, settle } from '../helpers.js';

const paths = kubeletPaths('/var/lib/node-1');

function config(
  kubelet: Record<string, unknown> = {},
  cluster: Record<string, unknown> = {},
): V1Alpha1ConfigInput {
  return {
    version: 'v1alpha1',
    machine: {
      type: 'worker',
      kubelet,
      network: {
        interfaces: [{ interface: 'eth0', addresses: ['10.0.0.50/24'], vip: { ip: '10.0.0.100' } }],
      },
    },
    cluster: {
      controlPlane: { endpoint: 'https://10.0.0.10:6443' },
      token: 'abcdef.0123456789abcdef',
      ...cluster,
    },
  };
}

async function setConfig(state: State, input: V1Alpha1ConfigInput): Promise<void> {
  const spec = v1alpha1ConfigSchema.parse(input);
  await state.modify(MachineConfigs.make('v1alpha1', spec), (d) => {
    d.spec = spec;
  });
}

async function setRouted(state: State, addresses: string[]): Promise<void> {
  await state.modify(NodeAddresses.make('routed-no-k8s', {}), (d) => {
    d.spec.addresses = addresses;
  });
}

async function nodeIPs(state: State): Promise<string[] | undefined> {
  return (await state.list(NodeIPs.kind()))[0]?.spec.addresses;
}

async function harness(input: V1Alpha1ConfigInput = config()) {
  const h = controllerHarness([
    kubeletConfigController,
    nodenameController,
    nodeIPConfigController,
    nodeIPController,
    kubeletSecretsController,
    kubeletSpecController(paths),
  ]);
  await setConfig(h.state, input);
  await h.state.create(HostnameStatuses.make('hostname', { hostname: 'Worker-1' }));
  await h.runtime.start();
  const run = () => settle(h.runtime, h.clock, 3);
  return { ...h, run };
}

describe('k8s.NodeIPConfigController', () => {
  it('takes the valid subnets from the config and excludes pod and service subnets and VIPs', async () => {
    const h = await harness(config({ nodeIP: { validSubnets: ['10.0.0.0/24'] } }));
    await h.run();
    const [ipConfig] = await h.state.list(NodeIPConfigs.kind());
    expect(ipConfig?.spec).toEqual({
      validSubnets: ['10.0.0.0/24'],
      excludeSubnets: ['10.244.0.0/16', '10.96.0.0/12', '10.0.0.100/32'],
    });
    await h.runtime.stop();
  });

  it('allows any address of the service subnets families when the config names no subnet', async () => {
    const h = await harness(config({}, { network: { serviceSubnets: ['10.96.0.0/12', 'fd00:10::/108'] } }));
    await h.run();
    expect((await h.state.list(NodeIPConfigs.kind()))[0]?.spec.validSubnets).toEqual(['0.0.0.0/0', '::/0']);
    await h.runtime.stop();
  });
});

describe('k8s.NodeIPController', () => {
  it('keeps one address per family, inside the valid subnets and outside the excluded ones', async () => {
    const h = await harness(config({}, { network: { serviceSubnets: ['10.96.0.0/12', 'fd00:10::/108'] } }));
    await setRouted(h.state, ['10.0.0.100/32', '10.0.0.50/24', '10.0.0.51/24', 'fd00::5/64', 'fd00::6/64']);
    await h.run();
    // 10.0.0.100 is the VIP: excluded.
    expect(await nodeIPs(h.state)).toEqual(['10.0.0.50', 'fd00::5']);
    await h.runtime.stop();
  });

  it('picks from the configured subnet only', async () => {
    const h = await harness(config({ nodeIP: { validSubnets: ['192.168.7.0/24'] } }));
    await setRouted(h.state, ['10.0.0.50/24', '192.168.7.9/24']);
    await h.run();
    expect(await nodeIPs(h.state)).toEqual(['192.168.7.9']);
    await h.runtime.stop();
  });

  it('keeps its address when a second one appears before it, and moves only when it goes', async () => {
    const h = await harness();
    await setRouted(h.state, ['10.0.0.50/24']);
    await h.run();
    expect(await nodeIPs(h.state)).toEqual(['10.0.0.50']);
    const version = (await h.state.get(NodeIPs.pointer('kubelet'))).metadata.version;

    // 10.0.0.20 sorts first: a first-address rule would switch to it.
    await setRouted(h.state, ['10.0.0.20/24', '10.0.0.50/24']);
    await h.run();
    expect(await nodeIPs(h.state)).toEqual(['10.0.0.50']);
    expect((await h.state.get(NodeIPs.pointer('kubelet'))).metadata.version).toBe(version);

    await setRouted(h.state, ['10.0.0.20/24']);
    await h.run();
    expect(await nodeIPs(h.state)).toEqual(['10.0.0.20']);
    await h.runtime.stop();
  });

  it('produces no NodeIP, and so no KubeletSpec, while no address matches', async () => {
    const h = await harness(config({ nodeIP: { validSubnets: ['192.168.7.0/24'] } }));
    await setRouted(h.state, ['10.0.0.50/24']);
    await h.run();
    expect(await h.state.list(NodeIPs.kind())).toEqual([]);
    expect(await h.state.list(KubeletSpecs.kind())).toEqual([]);
    await h.runtime.stop();
  });
});

describe('k8s.KubeletSpecController', () => {
  it('builds the flags and a KubeletConfiguration from KubeletConfig, Nodename and NodeIP', async () => {
    const h = await harness(
      config({
        image: 'ghcr.io/siderolabs/kubelet:v1.33.0',
        extraArgs: { 'node-labels': 'zone=a', v: '2' },
        extraConfig: { healthzPort: 41248, maxPods: 50 },
      }),
    );
    await setRouted(h.state, ['10.0.0.50/24']);
    await h.run();
    expect((await h.state.list(Nodenames.kind()))[0]?.spec.nodename).toBe('worker-1');
    const spec = (await h.state.get(KubeletSpecs.pointer('kubelet'))).spec;
    expect(spec.image).toBe('ghcr.io/siderolabs/kubelet:v1.33.0');
    expect(spec.expectedNodename).toBe('worker-1');
    expect(spec.args).toEqual([
      `--bootstrap-kubeconfig=${paths.bootstrapKubeconfig}`,
      `--cert-dir=${paths.certDir}`,
      `--config=${paths.config}`,
      '--hostname-override=worker-1',
      `--kubeconfig=${paths.kubeconfig}`,
      '--node-ip=10.0.0.50',
      '--node-labels=zone=a',
      '--v=2',
    ]);
    expect(spec.config).toMatchObject({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      clusterDNS: ['10.96.0.10'],
      clusterDomain: 'cluster.local',
      staticPodPath: paths.manifests,
      authentication: { x509: { clientCAFile: paths.clientCA } },
      healthzPort: 41248,
      maxPods: 50,
      registerNode: true,
    });
    await h.runtime.stop();
  });

  it('lets extraArgs pick the node IP', async () => {
    const h = await harness(config({ extraArgs: { 'node-ip': '10.0.0.77' } }));
    await setRouted(h.state, ['10.0.0.50/24']);
    await h.run();
    const spec = (await h.state.get(KubeletSpecs.pointer('kubelet'))).spec;
    expect(spec.args.filter((a) => a.startsWith('--node-ip'))).toEqual(['--node-ip=10.0.0.77']);
    await h.runtime.stop();
  });

  it('refuses a protected extraConfig field and keeps the last spec', async () => {
    const h = await harness();
    await setRouted(h.state, ['10.0.0.50/24']);
    await h.run();
    const before = await h.state.get(KubeletSpecs.pointer('kubelet'));
    await setConfig(h.state, config({ extraConfig: { staticPodPath: '/tmp/evil' }, extraArgs: { v: '4' } }));
    await h.run();
    const after = await h.state.get(KubeletSpecs.pointer('kubelet'));
    expect(after.metadata.version).toBe(before.metadata.version);
    expect(h.runtime.metrics().controllers['k8s.KubeletSpecController']?.errors).toBeGreaterThan(0);
    await h.runtime.stop();
  });

  it('refuses a flag the node owns', async () => {
    const h = await harness(config({ extraArgs: { config: '/tmp/other.yaml' } }));
    await setRouted(h.state, ['10.0.0.50/24']);
    await h.run();
    expect(await h.state.list(KubeletSpecs.kind())).toEqual([]);
    await h.runtime.stop();
  });
});

describe('secrets.KubeletController', () => {
  it('takes the endpoint, CA and bootstrap token from the cluster config', async () => {
    const h = await harness(config({}, { ca: { crt: 'PEM' } }));
    await h.run();
    expect((await h.state.get(KubeletSecrets.pointer('kubelet'))).spec).toEqual({
      endpoint: 'https://10.0.0.10:6443',
      acceptedCAs: ['PEM'],
      bootstrapTokenID: 'abcdef',
      bootstrapTokenSecret: '0123456789abcdef',
    });
    await h.runtime.stop();
  });

  it('has none without a control-plane endpoint, and refuses a malformed token', async () => {
    const h = await harness(config({}, { controlPlane: undefined }));
    await h.run();
    expect(await h.state.list(KubeletSecrets.kind())).toEqual([]);
    await setConfig(h.state, config({}, { token: 'not-a-token' }));
    await h.run();
    expect(await h.state.list(KubeletSecrets.kind())).toEqual([]);
    expect(h.runtime.metrics().controllers['secrets.KubeletController']?.errors).toBeGreaterThan(0);
    await h.runtime.stop();
  });
});

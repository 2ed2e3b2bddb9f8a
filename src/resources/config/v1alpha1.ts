import { z } from 'zod';
import { prefixSchema } from '../network/ip.js';
import { machineNetworkSchema } from './v1alpha1-network.js';

/** The machine types of Talos: `init` and `controlplane` run etcd, `worker` does not. */
export const machineTypes = ['init', 'controlplane', 'worker'] as const;
/** One machine type. */
export type MachineTypeName = (typeof machineTypes)[number];

const pemPairSchema = z.strictObject({ crt: z.string(), key: z.string().optional() });

const installSchema = z.strictObject({
  disk: z.string().optional(),
  diskSelector: z.record(z.string(), z.string()).optional(),
  image: z.string().optional(),
  extraKernelArgs: z.array(z.string()).default([]),
  wipe: z.boolean().default(false),
});

const timeSchema = z.strictObject({
  servers: z.array(z.string().min(1)).default([]),
  disabled: z.boolean().default(false),
});

const kubeletSchema = z.strictObject({
  image: z.string().optional(),
  extraArgs: z.record(z.string(), z.string()).default({}),
  extraConfig: z.record(z.string(), z.unknown()).default({}),
  nodeIP: z.strictObject({ validSubnets: z.array(prefixSchema).default([]) }).default({ validSubnets: [] }),
  skipNodeRegistration: z.boolean().default(false),
});

const machineSchema = z.strictObject({
  type: z.enum(machineTypes),
  token: z.string().optional(),
  ca: pemPairSchema.optional(),
  certSANs: z.array(z.string()).default([]),
  install: installSchema.optional(),
  network: machineNetworkSchema.default({
    nameservers: [],
    searchDomains: [],
    disableSearchDomain: false,
    interfaces: [],
  }),
  time: timeSchema.default({ servers: [], disabled: false }),
  kubelet: kubeletSchema.default({
    extraArgs: {},
    extraConfig: {},
    nodeIP: { validSubnets: [] },
    skipNodeRegistration: false,
  }),
  nodeLabels: z.record(z.string(), z.string()).default({}),
  nodeTaints: z.record(z.string(), z.string()).default({}),
});

const clusterNetworkSchema = z.strictObject({
  dnsDomain: z.string().min(1).default('cluster.local'),
  podSubnets: z.array(prefixSchema).default(['10.244.0.0/16']),
  serviceSubnets: z.array(prefixSchema).default(['10.96.0.0/12']),
});

const etcdSchema = z.strictObject({
  ca: pemPairSchema.optional(),
  image: z.string().optional(),
  extraArgs: z.record(z.string(), z.string()).default({}),
  advertisedSubnets: z.array(z.string().min(1)).default([]),
  listenSubnets: z.array(z.string().min(1)).default([]),
  /** The client port (default 2379); not a Talos field: several nodes on one host need their own. */
  clientPort: z.int().min(1).max(65_535).optional(),
  /** The peer port (default 2380); not a Talos field, as `clientPort`. */
  peerPort: z.int().min(1).max(65_535).optional(),
  /**
   * Control plane addresses (`10.0.0.11`, or `host:port` for a client port of its own) a joining
   * member asks to be added through. Not a Talos field: Talos discovers them from Kubernetes
   * endpoints and its discovery service, which this node does not run.
   */
  joinEndpoints: z.array(z.string().min(1)).optional(),
});

const clusterSchema = z.strictObject({
  clusterName: z.string().optional(),
  controlPlane: z.strictObject({ endpoint: z.url() }).optional(),
  network: clusterNetworkSchema.default({
    dnsDomain: 'cluster.local',
    podSubnets: ['10.244.0.0/16'],
    serviceSubnets: ['10.96.0.0/12'],
  }),
  token: z.string().optional(),
  ca: pemPairSchema.optional(),
  etcd: etcdSchema.default({ extraArgs: {}, advertisedSubnets: [], listenSubnets: [] }),
});

/**
 * The v1alpha1 machine configuration document: the subset of Talos' fields the node uses. Strict:
 * an unknown field anywhere (a typo) is an error naming it.
 */
export const v1alpha1ConfigSchema = z.strictObject({
  version: z.literal('v1alpha1'),
  debug: z.boolean().default(false),
  machine: machineSchema,
  cluster: clusterSchema.default({
    network: { dnsDomain: 'cluster.local', podSubnets: ['10.244.0.0/16'], serviceSubnets: ['10.96.0.0/12'] },
    etcd: { extraArgs: {}, advertisedSubnets: [], listenSubnets: [] },
  }),
});

/** A parsed v1alpha1 machine configuration (defaults filled in). */
export type V1Alpha1Config = z.output<typeof v1alpha1ConfigSchema>;
/** A v1alpha1 machine configuration as written (defaults may be left out). */
export type V1Alpha1ConfigInput = z.input<typeof v1alpha1ConfigSchema>;

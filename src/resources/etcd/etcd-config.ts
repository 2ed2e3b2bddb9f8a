import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/** The namespace of the etcd resources. */
export const etcdNamespace = 'etcd';
/** The id of the one EtcdConfig, EtcdSpec and PKIStatus. */
export const etcdId = 'etcd';
/** etcd's client port unless the config names another. */
export const defaultEtcdClientPort = 2379;
/** etcd's peer port unless the config names another. */
export const defaultEtcdPeerPort = 2380;

/** `EtcdConfigs.etcd.talos.dev/etcd`: the machine config's etcd section, on control planes only. */
export const EtcdConfigs = defineResource({
  type: 'EtcdConfigs.etcd.talos.dev',
  defaultNamespace: etcdNamespace,
  spec: z.object({
    advertiseValidSubnets: z.array(z.string()).default([]),
    /** Never advertised: `!`-subnets of the config plus every VIP. */
    advertiseExcludeSubnets: z.array(z.string()).default([]),
    listenValidSubnets: z.array(z.string()).default([]),
    listenExcludeSubnets: z.array(z.string()).default([]),
    image: z.string().default(''),
    extraArgs: z.record(z.string(), z.string()).default({}),
    clientPort: z.int().default(defaultEtcdClientPort),
    peerPort: z.int().default(defaultEtcdPeerPort),
    /** Where a joining member finds the cluster (`host` or `host:clientPort`). */
    joinEndpoints: z.array(z.string()).default([]),
  }),
  printColumns: [{ name: 'Join Endpoints', jsonPath: '{.joinEndpoints}' }],
});
/** An EtcdConfig resource. */
export type EtcdConfig = ResourceOf<typeof EtcdConfigs>;

/**
 * The services a node runs (research §5.7): each part of the node (etcd, the kubelet) contributes
 * its service definitions here, and the node loads and starts them when it boots.
 */
import type { Logger } from 'pino';
import type { DiskPlatform } from '../platform/disk.js';
import type { Platform } from '../platform/platform.js';
import { isControlPlane } from '../resources/config/machine-type.js';
import type { V1Alpha1Config } from '../resources/config/v1alpha1.js';
import type { Clock } from '../runtime/clock.js';
import type { State } from '../runtime/state/state.js';
import { etcdService } from './etcd/etcd-service.js';
import { type KubeletServiceOptions, kubeletService } from './kubelet/kubelet-service.js';
import type { ServiceDefinition } from './supervisor/service.js';

/** What a service definition may use: the node's state, platform, disk, clock and logger. */
export interface NodeServiceContext {
  readonly state: State;
  readonly platform: Platform;
  readonly disk: DiskPlatform;
  readonly stateDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The machine config this boot runs with; `undefined` in maintenance (no service runs). */
  readonly config: V1Alpha1Config | undefined;
  /** How the kubelet runs (its binary; default the stand-in kubelet). */
  readonly kubelet?: KubeletServiceOptions;
}

/**
 * The services this boot runs, in the order they are loaded, chosen as Talos does at boot from the
 * machine config the node booted with: etcd on control planes, the kubelet once the config names a
 * cluster (its control plane endpoint). A loaded service is one the node waits for to be ready, so
 * one that can never start here is not loaded; what a loaded one still needs (a spec, time sync)
 * it waits for through its `condition`. A new machine type takes effect at the next boot.
 */
export function nodeServices(context: NodeServiceContext): ServiceDefinition[] {
  const { config } = context;
  const services: ServiceDefinition[] = [];
  if (config !== undefined && isControlPlane(config.machine.type)) services.push(etcdService(context));
  if (config?.cluster.controlPlane !== undefined) services.push(kubeletService(context, context.kubelet));
  return services;
}

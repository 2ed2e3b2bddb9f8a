import { join } from 'node:path';
import { machineTypeController } from '../controllers/config/machine-type-controller.js';
import { advertisedPeerController } from '../controllers/etcd/advertised-peer-controller.js';
import { etcdConfigController } from '../controllers/etcd/config-controller.js';
import { etcdMemberController } from '../controllers/etcd/member-controller.js';
import { etcdPkiController } from '../controllers/etcd/pki-controller.js';
import { etcdSpecController } from '../controllers/etcd/spec-controller.js';
import { filesEtcFileController } from '../controllers/files/etc-file-controller.js';
import { addressFilterController } from '../controllers/k8s/address-filter-controller.js';
import { kubeletConfigController } from '../controllers/k8s/kubelet-config-controller.js';
import { kubeletPaths } from '../controllers/k8s/kubelet-files.js';
import { kubeletServiceController } from '../controllers/k8s/kubelet-service-controller.js';
import { kubeletSpecController } from '../controllers/k8s/kubelet-spec-controller.js';
import { nodeIPConfigController } from '../controllers/k8s/node-ip-config-controller.js';
import { nodeIPController } from '../controllers/k8s/node-ip-controller.js';
import { nodenameController } from '../controllers/k8s/nodename-controller.js';
import { addressConfigController } from '../controllers/network/address-config-controller.js';
import { addressMergeController } from '../controllers/network/address-merge-controller.js';
import { addressSpecController } from '../controllers/network/address-spec-controller.js';
import { addressStatusController } from '../controllers/network/address-status-controller.js';
import type { NetworkConfigOptions } from '../controllers/network/config-sources.js';
import { deviceConfigController } from '../controllers/network/device-config-controller.js';
import { etcFileController } from '../controllers/network/etc-file-controller.js';
import { hostnameConfigController } from '../controllers/network/hostname-config-controller.js';
import { hostnameMergeController } from '../controllers/network/hostname-merge-controller.js';
import { hostnameSpecController } from '../controllers/network/hostname-spec-controller.js';
import { linkConfigController } from '../controllers/network/link-config-controller.js';
import { linkMergeController } from '../controllers/network/link-merge-controller.js';
import { linkSpecController } from '../controllers/network/link-spec-controller.js';
import { linkStatusController } from '../controllers/network/link-status-controller.js';
import { nodeAddressController } from '../controllers/network/node-address-controller.js';
import { operatorConfigController } from '../controllers/network/operator-config-controller.js';
import { operatorMergeController } from '../controllers/network/operator-merge-controller.js';
import { operatorSpecController } from '../controllers/network/operator-spec-controller.js';
import { resolverConfigController } from '../controllers/network/resolver-config-controller.js';
import { resolverMergeController } from '../controllers/network/resolver-merge-controller.js';
import { resolverSpecController } from '../controllers/network/resolver-spec-controller.js';
import { routeConfigController } from '../controllers/network/route-config-controller.js';
import { routeMergeController } from '../controllers/network/route-merge-controller.js';
import { routeSpecController } from '../controllers/network/route-spec-controller.js';
import { routeStatusController } from '../controllers/network/route-status-controller.js';
import { statusController } from '../controllers/network/status-controller.js';
import { timeServerConfigController } from '../controllers/network/time-server-config-controller.js';
import { timeServerMergeController } from '../controllers/network/time-server-merge-controller.js';
import { timeServerSpecController } from '../controllers/network/time-server-spec-controller.js';
import { etcdSecretsController } from '../controllers/secrets/etcd-controller.js';
import { kubeletSecretsController } from '../controllers/secrets/kubelet-controller.js';
import { rootEtcdController } from '../controllers/secrets/root-etcd-controller.js';
import { syncController } from '../controllers/time/sync-controller.js';
import type { Platform } from '../platform/platform.js';
import type { AnyControllerDefinition } from '../runtime/controller/define-controller.js';
import { type LocalEtcdContext, localEtcd } from './etcd/local-etcd.js';
import { kubeletServiceId } from './kubelet/kubelet-service.js';
import type { Supervisor } from './supervisor/supervisor.js';

/** The network config controllers: per-layer specs from config, cmdline, platform and defaults. */
export function networkConfigControllers(options: NetworkConfigOptions = {}): AnyControllerDefinition[] {
  return [
    deviceConfigController(),
    linkConfigController(options),
    addressConfigController(options),
    routeConfigController(options),
    hostnameConfigController(options),
    resolverConfigController(options),
    timeServerConfigController(options),
    operatorConfigController(options),
  ];
}

/** The seven network merge controllers: per-layer specs → merged specs. */
export function networkMergeControllers(): AnyControllerDefinition[] {
  return [
    linkMergeController(),
    addressMergeController(),
    routeMergeController(),
    hostnameMergeController(),
    resolverMergeController(),
    timeServerMergeController(),
    operatorMergeController(),
  ];
}

/** The controllers that turn the machine config (and cmdline, platform metadata) into merged specs. */
export function configControllers(options: NetworkConfigOptions = {}): AnyControllerDefinition[] {
  return [machineTypeController(), ...networkConfigControllers(options), ...networkMergeControllers()];
}

/** Where the node controllers keep their files. */
export interface NodeControllerOptions {
  /** The node's state directory: `/etc/hosts` and `/etc/resolv.conf` are written under `<stateDir>/etc`. */
  readonly stateDir: string;
}

/** Every controller of a node's network and time that acts on or observes its platform or its files. */
export function nodeControllers(
  platform: Platform,
  options: NodeControllerOptions,
): AnyControllerDefinition[] {
  return [
    // Kernel → statuses
    linkStatusController(platform.network),
    addressStatusController(platform.network),
    routeStatusController(platform.network),
    // Merged specs → kernel
    linkSpecController(platform.network),
    addressSpecController(platform.network),
    routeSpecController(platform.network),
    hostnameSpecController(platform.network),
    resolverSpecController(platform.network),
    timeServerSpecController,
    // Operators
    operatorSpecController(platform.dhcp),
    // Derived
    addressFilterController,
    nodeAddressController({ loopback: platform.loopbackNodeAddresses === true }),
    etcFileController,
    filesEtcFileController({ etcDir: join(options.stateDir, 'etc') }),
    statusController,
    syncController(platform.time),
  ];
}

/** What {@link kubeletControllers} needs of the node. */
export interface KubeletControllersOptions {
  /** The kubelet's files live under `<stateDir>/kubelet/`. */
  readonly stateDir: string;
  /** Restarts the kubelet when its spec or secrets change. */
  readonly supervisor: Pick<Supervisor, 'list' | 'restart'>;
}

/** The kubelet's controllers: config, node name, node IP, secrets, spec, and its restarts. */
export function kubeletControllers(options: KubeletControllersOptions): AnyControllerDefinition[] {
  const { supervisor } = options;
  return [
    kubeletConfigController,
    nodenameController,
    nodeIPConfigController,
    nodeIPController,
    kubeletSecretsController,
    kubeletSpecController(kubeletPaths(options.stateDir)),
    kubeletServiceController({
      isRunning: () => supervisor.list().some((s) => s.id === kubeletServiceId && s.state === 'Running'),
      restart: () => supervisor.restart(kubeletServiceId),
    }),
  ];
}

/** The etcd controllers (research §3.2): config, spec, secrets, PKI files, the local member and its peer URLs. */
export function etcdControllers(context: LocalEtcdContext): AnyControllerDefinition[] {
  const etcd = localEtcd(context);
  return [
    etcdConfigController(),
    etcdSpecController(),
    rootEtcdController(),
    etcdSecretsController({ clock: context.clock }),
    etcdPkiController({ dir: etcd.pkiDir }),
    etcdMemberController(etcd),
    advertisedPeerController(etcd),
  ];
}

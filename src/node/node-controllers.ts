import { machineTypeController } from '../controllers/config/machine-type-controller.js';
import { advertisedPeerController } from '../controllers/etcd/advertised-peer-controller.js';
import { etcdConfigController } from '../controllers/etcd/config-controller.js';
import { etcdMemberController } from '../controllers/etcd/member-controller.js';
import { etcdPkiController } from '../controllers/etcd/pki-controller.js';
import { etcdSpecController } from '../controllers/etcd/spec-controller.js';
import { addressFilterController } from '../controllers/k8s/address-filter-controller.js';
import { addressConfigController } from '../controllers/network/address-config-controller.js';
import { addressMergeController } from '../controllers/network/address-merge-controller.js';
import { addressSpecController } from '../controllers/network/address-spec-controller.js';
import { addressStatusController } from '../controllers/network/address-status-controller.js';
import type { NetworkConfigOptions } from '../controllers/network/config-sources.js';
import { deviceConfigController } from '../controllers/network/device-config-controller.js';
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
import { rootEtcdController } from '../controllers/secrets/root-etcd-controller.js';
import { syncController } from '../controllers/time/sync-controller.js';
import type { Platform } from '../platform/platform.js';
import type { AnyControllerDefinition } from '../runtime/controller/define-controller.js';
import { type LocalEtcdContext, localEtcd } from './etcd/local-etcd.js';

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

/** Every controller of a node's network and time that acts on or observes its platform. */
export function nodeControllers(platform: Platform): AnyControllerDefinition[] {
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
    statusController,
    syncController(platform.time),
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

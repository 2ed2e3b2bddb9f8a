/**
 * `converge/node`: a Talos-style node on the engine — its resource definitions, controllers and platforms.
 *
 * @packageDocumentation
 */

export {
  type MachineStatusInputs,
  machineStatusController,
} from '../controllers/runtime/machine-status-controller.js';
export { type ServiceStatusSource, serviceController } from '../controllers/runtime/service-controller.js';
export { createDiskBoot } from '../platform/boot/disk-boot.js';
// Lifecycle: events, sequences, the service supervisor, disk, boot slots, processes and upgrades
export type { BootPlatform, BootSlot, BootState, SlotImage } from '../platform/boot.js';
// Platforms: what a node acts on
export type { DhcpChange, DhcpClientOptions, DhcpLease, DhcpPlatform } from '../platform/dhcp.js';
export type { AtomicWriteHook, AtomicWriteStep } from '../platform/disk/atomic-file.js';
export { createFileDisk, type FileDisk, type FileDiskOptions } from '../platform/disk/file-disk.js';
export { type MetaStore, metaKeys, openMetaStore } from '../platform/disk/meta-store.js';
export type { DiskFaults, DiskPlatform, Partition } from '../platform/disk.js';
export { isPlatformError, PlatformError, type PlatformErrorCode } from '../platform/errors.js';
export {
  createLinuxPlatform,
  type LinuxPlatform,
  type LinuxPlatformOptions,
} from '../platform/linux/create-linux-platform.js';
export type {
  NetworkChange,
  NetworkPlatform,
  PlatformAddress,
  PlatformLink,
  PlatformRoute,
} from '../platform/network.js';
export type { Platform } from '../platform/platform.js';
export {
  createProcessExitPower,
  type ProcessExitPowerOptions,
} from '../platform/power/process-exit-power.js';
export { createInProcessPower, type PowerPlatform } from '../platform/power.js';
export { createChildProcesses } from '../platform/processes/child-processes.js';
export {
  createScriptedProcesses,
  type ScriptedProcess,
  type ScriptedProcessesOptions,
  type ScriptedProgram,
} from '../platform/processes/scripted-processes.js';
export type {
  OutputLine,
  ProcessExit,
  ProcessHandle,
  ProcessPlatform,
  ProcessSpec,
} from '../platform/processes.js';
export {
  createSimulatedPlatform,
  type SimulatedPlatform,
  type SimulatedPlatformLink,
  type SimulatedPlatformOptions,
} from '../platform/simulated/create-simulated-platform.js';
export type { TimeChange, TimePlatform, TimeSyncStatus } from '../platform/time.js';
// Configuration resources
export * from '../resources/config/index.js';
// etcd resources
export * from '../resources/etcd/index.js';
// Rendered files: /etc/hosts and /etc/resolv.conf
export * from '../resources/files/index.js';
// Kubernetes node resources: kubelet config, node name, node IP, spec, status
export * from '../resources/k8s/index.js';
// Network resources: specs, statuses and derived
export * from '../resources/network/index.js';
// Runtime resources: services and the machine's status
export * from '../resources/runtime/index.js';
// Secrets
// Secrets: roots and the certificates issued from them
export * from '../resources/secrets/index.js';
// Time resources
export * from '../resources/time/index.js';
export {
  createNodeApiServer,
  type NodeApiHost,
  type NodeApiServerOptions,
} from './api/node-api.js';
export {
  type ClusterNode,
  createLocalCluster,
  destroyLocalCluster,
  type LocalCluster,
  type LocalClusterOptions,
} from './cluster/local-cluster.js';
export type { ConfigHistoryEntry, ConfigHistoryMode } from './config-history/config-history.js';
export { createNode, type Node, type NodeOptions } from './create-node.js';
export {
  defaultNodePort,
  type NodeDaemon,
  type NodeDaemonOptions,
  startNodeDaemon,
} from './daemon/node-daemon.js';
export { bootstrapEtcd, type EtcdNode, etcdUpgradeGuard, leaveEtcd } from './etcd/etcd-operations.js';
export { etcdServiceId } from './etcd/etcd-service.js';
export {
  createEventBus,
  type EventBus,
  type EventBusOptions,
  type EventStreamOptions,
} from './events/event-bus.js';
export type {
  EventError,
  LifecycleOperation,
  MachineEvent,
  MachineEventPayload,
  SequenceErrorCode,
  SequenceName,
  ServiceState,
} from './events/machine-event.js';
export {
  type KubeletServiceContext,
  type KubeletServiceOptions,
  kubeletService,
  kubeletServiceId,
  standInKubeletPath,
} from './kubelet/kubelet-service.js';
export type { ApplyConfigMode, ApplyConfigOptions, ApplyConfigResult } from './lifecycle/config-applier.js';
export { lifecycleSteps, type NodeLifecycleHook } from './lifecycle/lifecycle-steps.js';
export type { RunningImage, UpgradeRequest, UpgradeResult } from './lifecycle/machine-types.js';
export type { LeaveEtcdHook, LifecycleContext, UpgradeGuard } from './lifecycle/node-hooks.js';
export { type NodeImage, parseNodeImage } from './lifecycle/node-image.js';
export {
  commitUpgrade,
  type InstallResult,
  installUpgrade,
  type LifecycleHook,
  revertIfUpgradePending,
  rollback,
  UpgradeRefusedError,
  upgradeSteps,
} from './lifecycle/upgrade.js';
export { type MachineStage, nextStage } from './machine-stage.js';
export {
  isSequenceError,
  type Sequence,
  SequenceError,
  type SequencePhase,
  type SequenceTask,
  type TaskContext,
  takeovers,
} from './sequencer/sequence.js';
export { createSequencer, type Sequencer, type SequencerOptions } from './sequencer/sequencer.js';
export { type StageTracker, trackStage } from './stage-tracker.js';
export type { LogEntry } from './supervisor/log-buffer.js';
export type {
  HealthCheck,
  RestartPolicy,
  ServiceCondition,
  ServiceContext,
  ServiceDefinition,
} from './supervisor/service.js';
export type { ServiceStatus } from './supervisor/service-runner.js';
export {
  createSupervisor,
  type Supervisor,
  type SupervisorOptions,
  UnknownServiceError,
} from './supervisor/supervisor.js';

/**
 * A node at a glance (`GET /v1/node/info`): address, hostname, machine type, version, stage and readiness,
 * what `converge dashboard` and `converge health` show per node.
 */
import { MachineTypes, machineTypeId } from '../../resources/config/machine-type.js';
import { HostnameStatuses } from '../../resources/network/hostname-status.js';
import { MachineStatuses, machineStatusId } from '../../resources/runtime/machine-status.js';
import { undefinedIfNotFound } from '../../runtime/errors.js';
import type { Node } from '../create-node.js';

/** What `GET /v1/node/info` answers. */
export interface NodeInfo {
  readonly address: string;
  /** Changes at every boot. */
  readonly bootId: string;
  readonly hostname: string;
  readonly machineType: string;
  /** The image version the node runs, and the boot slot it runs from. */
  readonly version: string;
  readonly slot: string;
  readonly stage: string;
  readonly ready: boolean;
  readonly unmetConditions: readonly { readonly name: string; readonly reason: string }[];
}

/** Reads the node's summary from its state. */
export async function nodeInfo(node: Node, address: string, bootId: string): Promise<NodeInfo> {
  const [hostname, type, status] = await Promise.all([
    undefinedIfNotFound(node.state.get(HostnameStatuses.pointer('hostname'))),
    undefinedIfNotFound(node.state.get(MachineTypes.pointer(machineTypeId))),
    undefinedIfNotFound(node.state.get(MachineStatuses.pointer(machineStatusId))),
  ]);
  const running = node.version();
  return {
    address,
    bootId,
    hostname: hostname?.spec.hostname ?? '',
    machineType: type?.spec.machineType ?? 'unknown',
    version: running.image.version,
    slot: running.slot,
    stage: status?.spec.stage ?? 'unknown',
    ready: status?.spec.status.ready ?? false,
    unmetConditions: status?.spec.status.unmetConditions ?? [],
  };
}

/**
 * The resource kinds the dashboard watches, by the name its script uses: one list, read by the
 * page's module and by `converge dashboard --serve`, which forwards watches of these kinds only.
 */

/** Kind key → [namespace, resource type]. */
export const dashboardKinds = {
  machine: ['runtime', 'MachineStatuses.runtime.talos.dev'],
  services: ['runtime', 'Services.v1alpha1.talos.dev'],
  addresses: ['network', 'NodeAddresses.net.talos.dev'],
  members: ['etcd', 'EtcdMembers.etcd.talos.dev'],
} as const satisfies Record<string, readonly [string, string]>;

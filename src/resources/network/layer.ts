import { z } from 'zod';

/** The namespace of merged network specs, statuses and derived network resources. */
export const networkNamespace = 'network';
/** The namespace of unmerged, per-layer network specs (ids prefixed by their layer). */
export const networkConfigNamespace = 'network-config';

/** The configuration layers of network specs, lowest priority first (Talos' `ConfigLayer`). */
export const configLayers = ['default', 'cmdline', 'platform', 'operator', 'configuration'] as const;

/** One configuration layer: `default < cmdline < platform < operator < configuration`. */
export type ConfigLayer = (typeof configLayers)[number];

/** The zod schema of a layer field; specs default to the `default` layer. */
export const configLayerSchema = z.enum(configLayers);

/** The priority of a layer: higher wins when layers are merged. */
export function layerPriority(layer: ConfigLayer): number {
  return configLayers.indexOf(layer);
}

/** The id of an unmerged spec in `network-config`: `<layer>/<id>`, e.g. `configuration/eth0`. */
export function layeredId(layer: ConfigLayer, id: string): string {
  return `${layer}/${id}`;
}

/**
 * The id of a spec an operator produced: `<operator id>/<id>`, e.g. `dhcp4/eth0/eth0/10.0.0.5/24`,
 * so two operators (or an operator and a layer) never collide.
 */
export function operatorPrefixedId(operatorId: string, id: string): string {
  return `${operatorId}/${id}`;
}

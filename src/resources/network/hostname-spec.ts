import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { configLayerSchema, networkNamespace } from './layer.js';

/** The id of the (single) hostname spec; `<layer>/hostname` in `network-config`. */
export const hostnameSpecId = 'hostname';

/** The spec of the hostname as Talos' `HostnameSpecSpec` holds it. */
export const hostnameSpecSchema = z.strictObject({
  hostname: z.string().default(''),
  domainname: z.string().default(''),
  layer: configLayerSchema.default('default'),
});

/** `HostnameSpecs.net.talos.dev`: the hostname and domain name the node wants; id `hostname`. */
export const HostnameSpecs = defineResource({
  type: 'HostnameSpecs.net.talos.dev',
  defaultNamespace: networkNamespace,
  spec: hostnameSpecSchema,
  printColumns: [
    { name: 'Hostname', jsonPath: '{.hostname}' },
    { name: 'Domainname', jsonPath: '{.domainname}' },
    { name: 'Layer', jsonPath: '{.layer}' },
  ],
});
/** A `HostnameSpec` resource. */
export type HostnameSpec = ResourceOf<typeof HostnameSpecs>;
/** The spec of a `HostnameSpec`. */
export type HostnameSpecSpec = z.output<typeof hostnameSpecSchema>;

/** Splits an FQDN into hostname and domain name: `cp-1.example.org` → `cp-1`, `example.org`. */
export function splitFqdn(fqdn: string): { hostname: string; domainname: string } {
  const dot = fqdn.indexOf('.');
  if (dot < 0) return { hostname: fqdn, domainname: '' };
  return { hostname: fqdn.slice(0, dot), domainname: fqdn.slice(dot + 1) };
}

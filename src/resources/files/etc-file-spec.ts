import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/** The namespace of rendered files (Talos' `files`). */
export const filesNamespace = 'files';

/** The id (and file name) of the rendered hosts file. */
export const etcHostsId = 'hosts';

/** The id (and file name) of the rendered resolver configuration. */
export const etcResolvConfId = 'resolv.conf';

/**
 * A file under the node's `/etc` to render (`EtcFileSpecs.files.talos.dev`): the id is the file's
 * name (`hosts`, `resolv.conf`), the spec its whole content and mode.
 */
export const EtcFileSpecs = defineResource({
  type: 'EtcFileSpecs.files.talos.dev',
  defaultNamespace: filesNamespace,
  aliases: ['etcfilespec', 'etcfilespecs'],
  spec: z.object({
    contents: z.string(),
    mode: z.number().int().min(0).max(0o777).default(0o644),
  }),
  printColumns: [{ name: 'Mode', jsonPath: '{.mode}' }],
});
/** An EtcFileSpec resource. */
export type EtcFileSpec = ResourceOf<typeof EtcFileSpecs>;

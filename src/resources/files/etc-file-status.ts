import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { filesNamespace } from './etc-file-spec.js';

/**
 * A file under the node's `/etc` as written (`EtcFileStatuses.files.talos.dev`, same id as its
 * spec): the spec version it holds, where it is and the SHA-256 of what is on disk.
 */
export const EtcFileStatuses = defineResource({
  type: 'EtcFileStatuses.files.talos.dev',
  defaultNamespace: filesNamespace,
  aliases: ['etcfilestatus', 'etcfilestatuses'],
  spec: z.object({
    specVersion: z.string(),
    path: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  printColumns: [
    { name: 'Spec Version', jsonPath: '{.specVersion}' },
    { name: 'Path', jsonPath: '{.path}' },
  ],
});
/** An EtcFileStatus resource. */
export type EtcFileStatus = ResourceOf<typeof EtcFileStatuses>;

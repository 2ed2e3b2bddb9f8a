import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../../platform/disk/atomic-file.js';
import { type EtcFileSpec, EtcFileSpecs } from '../../resources/files/etc-file-spec.js';
import { type EtcFileStatus, EtcFileStatuses } from '../../resources/files/etc-file-status.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import type { ReconcileContext } from '../../runtime/controller/reconcile-context.js';

/** The name Talos gives the controller that writes the rendered `/etc` files. */
const filesEtcFileControllerName = 'files.EtcFileController';

/** A file name with no directory part: what an EtcFileSpec's id must be. */
const plainFileName = /^(?!\.\.?$)[A-Za-z0-9._-]{1,255}$/;

/** Options of {@link filesEtcFileController}. */
export interface EtcFileControllerOptions {
  /** The node's own `etc` directory (`<stateDir>/etc`): never the host's `/etc`. */
  readonly etcDir: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Writes one file unless its status or the disk already holds its content, then records it. */
async function writeOne(
  ctx: ReconcileContext,
  etcDir: string,
  spec: EtcFileSpec,
  status: EtcFileStatus | undefined,
): Promise<void> {
  const path = join(etcDir, spec.metadata.id);
  const digest = sha256(spec.spec.contents);
  const specVersion = String(spec.metadata.version);
  const recorded = status?.spec.specVersion === specVersion && status.spec.sha256 === digest;
  if (!recorded) {
    // A restart (or a spec rewritten with the same content) finds the file already right: no write.
    const onDisk = await readFileIfExists(path);
    if (onDisk === undefined || sha256(onDisk.toString('utf8')) !== digest) {
      await writeFileAtomic(path, spec.spec.contents, { mode: spec.spec.mode });
    }
  }
  await ctx.modify(EtcFileStatuses.make(spec.metadata.id, { specVersion, path, sha256: digest }), (d) => {
    d.spec = { specVersion, path, sha256: digest };
  });
}

/**
 * `files.EtcFileController`: writes every EtcFileSpec to `<etcDir>/<id>` atomically (temp, fsync,
 * rename, fsync of the directory) and records what it wrote as an EtcFileStatus: the spec version,
 * the path and the content's SHA-256. A file already holding the content is not rewritten. A
 * spec's removal drops its status and leaves the last file in place, as Talos does.
 *
 * @remarks A spec whose id is not a plain file name is refused with a `ValidationError` (after
 * the others are written): nothing is written outside `etcDir`.
 */
export function filesEtcFileController(options: EtcFileControllerOptions): ControllerDefinition {
  const { etcDir } = options;
  return defineController({
    name: filesEtcFileControllerName,
    inputs: [input.weak(EtcFileSpecs)],
    outputs: [output.exclusive(EtcFileStatuses)],
    async reconcile(ctx) {
      const specs = (await ctx.list(EtcFileSpecs.kind())).filter((s) => s.metadata.phase === 'running');
      const refused = specs.filter((s) => !plainFileName.test(s.metadata.id));
      const statuses = new Map((await ctx.list(EtcFileStatuses.kind())).map((s) => [s.metadata.id, s]));
      ctx.trackOutputs();
      if (specs.length > refused.length) await mkdir(etcDir, { recursive: true });
      for (const spec of specs) {
        if (!refused.includes(spec)) await writeOne(ctx, etcDir, spec, statuses.get(spec.metadata.id));
      }
      await ctx.cleanupOutputs(EtcFileStatuses.kind());
      if (refused.length > 0) {
        const ids = refused.map((s) => JSON.stringify(s.metadata.id)).join(', ');
        throw new Error(`EtcFileSpec ${ids}: the id must be a plain file name (no "/", not "." or "..")`);
      }
    },
  });
}

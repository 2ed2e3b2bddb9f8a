import { readFileSync } from 'node:fs';
import { isMap, isNode, LineCounter, parseAllDocuments } from 'yaml';
import { isValidationError, undefinedIfNotFound, type ValidationError } from '../../runtime/errors.js';
import { diffResources, type PatchOperation } from '../../runtime/resource/diff.js';
import { deepEqual } from '../../runtime/resource/equality.js';
import { loadManifests, ManifestError } from '../../runtime/resource/manifests.js';
import { formatPointer, pointerOf } from '../../runtime/resource/pointer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import type { TransactionOp } from '../../runtime/state/state.js';
import { CliError, exitCodes } from '../exit-codes.js';
import type { Session } from '../session.js';
import type { Output } from './output-sink.js';

/** Options of `converge apply`. */
export interface ApplyOptions {
  /** Manifest files; `-` is standard input. */
  files: readonly string[];
  /** Show what would change, with a diff, and write nothing. */
  dryRun?: boolean;
}

/** A resource read from a manifest, and where it came from. */
export interface ManifestEntry {
  readonly file: string;
  readonly resource: AnyResource;
  /** 1-based number of the document in its file. */
  readonly document: number;
  /** The line of a field path in the document (the nearest existing parent's line). */
  lineOf(path: readonly PropertyKey[]): number;
}

/** Reads manifest files into resources, naming the file in errors. */
export function readManifests(files: readonly string[]): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (error) {
      throw new CliError(
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        exitCodes.usage,
      );
    }
    let resources: AnyResource[];
    try {
      resources = loadManifests(text);
    } catch (error) {
      if (error instanceof ManifestError) throw new CliError(`${file}: ${error.message}`, exitCodes.invalid);
      throw error;
    }
    if (resources.length === 0) {
      throw new CliError(
        `${file === '-' ? 'standard input' : file}: no resources in it (expected YAML documents with metadata and spec)`,
        exitCodes.invalid,
      );
    }
    // loadManifests skips empty documents; number the others the same way to find lines.
    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: lines });
    const filled = (Array.isArray(docs) ? docs : [])
      .map((d, i) => ({ d, n: i + 1 }))
      .filter(({ d }) => isMap(d.contents));
    resources.forEach((resource, i) => {
      const entry = filled[i];
      out.push({
        file,
        resource,
        document: entry?.n ?? i + 1,
        lineOf(path) {
          if (entry === undefined) return 1;
          for (let n = path.length; n >= 0; n--) {
            const node = entry.d.getIn(path.slice(0, n) as unknown[], true);
            if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
          }
          return 1;
        },
      });
    });
  }
  return out;
}

/** The server's validation issues as manifest issues: document, line and field. */
function locate(entry: ManifestEntry, error: ValidationError): CliError {
  const issues = error.issues.map((issue) => {
    // Spec schema issues are relative to the spec; body issues start at metadata or spec.
    const path =
      issue.path[0] === 'metadata' || issue.path[0] === 'spec' ? [...issue.path] : ['spec', ...issue.path];
    return { document: entry.document, line: entry.lineOf(path), path, message: issue.message };
  });
  const detail = issues.length > 0 ? new ManifestError(issues).message : error.message;
  return new CliError(`${entry.file}: ${detail}`, exitCodes.invalid);
}

/** The parts of a resource `apply` manages. */
function managed(r: AnyResource) {
  return { metadata: { labels: r.metadata.labels, annotations: r.metadata.annotations }, spec: r.spec };
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** One line per RFC 6902 operation: `~ spec.value: 1 -> 2`, `+ …`, `- …`. */
function formatDiff(before: unknown, ops: readonly PatchOperation[]): string[] {
  const at = (path: string) => {
    let v: unknown = before;
    for (const p of path.split('/').slice(1)) {
      const key = p.replace(/~1/g, '/').replace(/~0/g, '~');
      v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
    }
    return v;
  };
  const dotted = (path: string) => path.split('/').slice(1).join('.').replace(/~1/g, '/').replace(/~0/g, '~');
  return ops.map((op) => {
    switch (op.op) {
      case 'add':
        return `  + ${dotted(op.path)}: ${show(op.value)}`;
      case 'remove':
        return `  - ${dotted(op.path)}: ${show(at(op.path))}`;
      case 'replace':
        return `  ~ ${dotted(op.path)}: ${show(at(op.path))} -> ${show(op.value)}`;
      default:
        return `  ${op.op} ${dotted(op.path)}`;
    }
  });
}

/**
 * `converge apply -f manifests.yaml`: creates what is missing and updates what differs, in one
 * transaction (all or nothing); `--dry-run` prints the changes with a diff and writes nothing.
 */
export async function applyCommand(session: Session, options: ApplyOptions, out: Output): Promise<void> {
  if (options.files.length === 0) throw new CliError('apply needs at least one -f <file>', exitCodes.usage);
  await session.registerDefinitions();
  const manifests = readManifests(options.files);
  const ops: TransactionOp[] = [];
  const lines: string[] = [];
  const verb = (done: string, would: string) => (options.dryRun ? `would be ${would}` : done);
  for (const entry of manifests) {
    const { resource } = entry;
    const name = formatPointer(pointerOf(resource));
    let desired: AnyResource;
    try {
      desired = await session.normalize(resource);
    } catch (error) {
      if (isValidationError(error)) throw locate(entry, error);
      throw error;
    }
    const current = await undefinedIfNotFound(session.state.get(pointerOf(resource)));
    if (current === undefined) {
      ops.push({ op: 'create', resource: desired });
      lines.push(`${name} ${verb('created', 'created')}`);
      continue;
    }
    if (deepEqual(managed(current), managed(desired))) {
      lines.push(`${name} unchanged`);
      continue;
    }
    const next = {
      metadata: {
        ...current.metadata,
        labels: desired.metadata.labels,
        annotations: desired.metadata.annotations,
      },
      spec: desired.spec,
    } as AnyResource;
    ops.push({ op: 'update', resource: next });
    lines.push(`${name} ${verb('configured', 'configured')}`);
    if (options.dryRun)
      lines.push(...formatDiff(managed(current), diffResources(managed(current), managed(next))));
  }
  // A dry run goes through the server's real write path (owner, phase, version, schema, role), so
  // its verdict is the real apply's.
  if (ops.length > 0) await (options.dryRun ? session.dryRun(ops) : session.state.transaction(ops));
  out.write(`${lines.join('\n')}\n`);
}

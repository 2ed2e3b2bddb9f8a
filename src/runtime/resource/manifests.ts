import { isMap, isNode, isScalar, LineCounter, type Node, parseAllDocuments } from 'yaml';
import { ValidationError, type ValidationIssue } from '../errors.js';
import { type AnyResourceDefinition, listDefinitions, lookupDefinition } from './define-resource.js';
import { metadataKeyOrder } from './metadata.js';
import type { AnyResource } from './resource.js';
import { yamlErrorLine } from './yaml-error-line.js';

/** A problem in a manifest: which document (1-based), which line (1-based) and which field. */
export interface ManifestIssue extends ValidationIssue {
  readonly document: number;
  readonly line: number;
}

/** A manifest stream failed to load; `issues` name the document, line and field of each problem. */
export class ManifestError extends ValidationError {
  override readonly issues: readonly ManifestIssue[];
  constructor(issues: readonly ManifestIssue[], pointer = { namespace: '', type: '', id: '' }) {
    super(pointer, issues);
    this.name = 'ManifestError';
    this.issues = issues;
    this.message = `invalid manifest: ${issues
      .map(
        (i) =>
          `document ${i.document}, line ${i.line}${i.path.length > 0 ? `, field ${i.path.map(String).join('.')}` : ''}: ${i.message}`,
      )
      .join('; ')}`;
  }
}

/** The result of {@link safeLoadManifests}, shaped like zod's `safeParse`. */
export type LoadManifestsResult =
  | { readonly success: true; readonly resources: AnyResource[] }
  | { readonly success: false; readonly error: ManifestError };

/** Finds a registered definition by its type, lower-cased type or any alias. */
export function resolveDefinition(name: string): AnyResourceDefinition | undefined {
  const exact = lookupDefinition(name);
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  return listDefinitions().find((d) => d.type.toLowerCase() === lower || d.allAliases.includes(lower));
}

const metadataFields = new Set<string>(metadataKeyOrder);

/**
 * Loads a multi-document YAML manifest stream into validated, unsaved resources (version 0).
 * Each document is `{ metadata: { type, id, namespace?, labels?, annotations?, finalizers? }, spec }`;
 * `type` may be the full type or an alias. Throws {@link ManifestError} naming the document, the line
 * and the field of every problem; nothing is returned partially.
 */
export function loadManifests(text: string): AnyResource[] {
  const result = safeLoadManifests(text);
  if (!result.success) throw result.error;
  return result.resources;
}

/** As {@link loadManifests}, returning a result instead of throwing. */
export function safeLoadManifests(text: string): LoadManifestsResult {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const issues: ManifestIssue[] = [];
  const resources: AnyResource[] = [];
  const docs = Array.isArray(documents) ? documents : [];
  if (!Array.isArray(documents)) {
    issues.push({ document: 1, line: 1, path: [], message: 'not a YAML document stream' });
  }
  for (const [index, doc] of docs.entries()) {
    const resource = loadDocument(doc, index + 1, lines, issues);
    if (resource !== undefined) resources.push(resource);
  }
  if (issues.length > 0) return { success: false, error: new ManifestError(issues) };
  return { success: true, resources };
}

type ParsedDocument = Extract<ReturnType<typeof parseAllDocuments>, unknown[]>[number];

function loadDocument(
  doc: ParsedDocument,
  document: number,
  lines: LineCounter,
  issues: ManifestIssue[],
): AnyResource | undefined {
  const lineOf = (node: unknown, fallback = 1): number => {
    const range = isNode(node) ? (node as Node).range : undefined;
    return range ? lines.linePos(range[0]).line : fallback;
  };
  const docLine = lineOf(doc.contents);
  if (doc.errors.length > 0) {
    // The first error is the cause; the ones after it mostly follow from it.
    const e = doc.errors[0]!;
    const misindented = doc.errors.find((x) => x.code === 'MULTILINE_IMPLICIT_KEY');
    issues.push({
      document,
      line: yamlErrorLine(misindented ?? e, lines),
      path: [],
      message: misindented
        ? 'bad indentation (a key is not where the lines around it put it)'
        : e.message.split('\n')[0]!,
    });
    return;
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return; // an empty document, e.g. a trailing `---`
  if (!isMap(doc.contents)) {
    issues.push({
      document,
      line: docLine,
      path: [],
      message: 'a document must be a mapping with metadata and spec',
    });
    return;
  }
  const raw = doc.toJS() as Record<string, unknown>;
  const at = (path: readonly PropertyKey[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node)) return lineOf(node, docLine);
    }
    return docLine;
  };
  const problem = (path: PropertyKey[], message: string): undefined => {
    issues.push({ document, line: at(path), path, message });
    return undefined;
  };
  for (const key of Object.keys(raw)) {
    if (key !== 'metadata' && key !== 'spec')
      problem([key], `unknown top-level field ${JSON.stringify(key)}`);
  }
  const metadata = raw.metadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    problem(['metadata'], 'metadata must be a mapping');
    return;
  }
  const md = metadata as Record<string, unknown>;
  for (const key of Object.keys(md)) {
    if (!metadataFields.has(key)) problem(['metadata', key], `unknown metadata field ${JSON.stringify(key)}`);
  }
  if (typeof md.type !== 'string' || md.type === '') return problem(['metadata', 'type'], 'type is required');
  if (typeof md.id !== 'string' || md.id === '') return problem(['metadata', 'id'], 'id is required');
  const definition = resolveDefinition(md.type);
  if (definition === undefined)
    return problem(['metadata', 'type'], `unknown resource type ${JSON.stringify(md.type)}`);
  if (md.namespace !== undefined && (typeof md.namespace !== 'string' || md.namespace === '')) {
    return problem(['metadata', 'namespace'], 'namespace must be a non-empty string');
  }
  for (const field of ['labels', 'annotations'] as const) {
    const value = md[field];
    if (value === undefined) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problem(['metadata', field], `${field} must be a mapping of strings`);
      continue;
    }
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'string') problem(['metadata', field, k], 'must be a string');
    }
  }
  if (
    md.finalizers !== undefined &&
    (!Array.isArray(md.finalizers) || md.finalizers.some((f) => typeof f !== 'string'))
  ) {
    problem(['metadata', 'finalizers'], 'finalizers must be a list of strings');
  }
  if (!('spec' in raw)) return problem(['spec'], 'spec is required');
  const parsed = definition.spec.safeParse(raw.spec);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = ['spec', ...issue.path];
      issues.push({ document, line: at(path), path, message: issue.message, code: issue.code });
    }
    return;
  }
  if (issues.some((i) => i.document === document)) return;
  return definition.make(md.id, raw.spec, {
    ...(md.namespace !== undefined ? { namespace: md.namespace as string } : {}),
    ...(md.labels !== undefined ? { labels: md.labels as Record<string, string> } : {}),
    ...(md.annotations !== undefined ? { annotations: md.annotations as Record<string, string> } : {}),
    ...(md.finalizers !== undefined ? { finalizers: md.finalizers as string[] } : {}),
  });
}

import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from './config-error.js';

/** A path into a parsed YAML document, as zod reports it. */
type IssuePath = readonly PropertyKey[];

/** Formats a path as YAML users read it: `machine.network.interfaces[0].addresses[1]`. */
export function formatYamlPath(path: IssuePath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/**
 * The source offset of a path in a document: the value's node when it exists; for a missing field,
 * the key of the deepest entry that exists (`machine:` when `machine.type` is missing). With
 * `atKey`, the key of the last segment itself (an unknown field).
 */
function locate(doc: Document, path: IssuePath, atKey: boolean): number {
  let node: Node | null | undefined = doc.contents;
  // Where a missing segment is reported: the key (or list item) of the deepest entry found.
  let anchor = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined) return anchor;
      anchor = isScalar(pair.key) ? (pair.key.range?.[0] ?? anchor) : anchor;
      if (atKey && i === path.length - 1) return anchor;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (item === undefined) return anchor;
      node = item;
      anchor = item.range?.[0] ?? anchor;
    } else {
      return anchor;
    }
  }
  // A present value is reported where it is written; an empty one (`key:`) at its key.
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return anchor;
  return node.range?.[0] ?? anchor;
}

/** Lower-cases the first letter of zod's messages, as the project's errors read. */
function lowerFirst(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/**
 * Turns zod issues on a document into config issues with the YAML path and the exact line: an
 * unknown field points at its key, a bad value at the value, a missing field at its parent's key.
 */
export function zodIssuesToConfigIssues(
  issues: readonly z.core.$ZodIssue[],
  doc: Document,
  lines: LineCounter,
  document: number,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const push = (path: IssuePath, atKey: boolean, message: string) => {
    const { line, col } = lines.linePos(locate(doc, path, atKey));
    out.push({ document, path: formatYamlPath(path), line, column: col, message });
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) push([...issue.path, key], true, `unknown field ${JSON.stringify(key)}`);
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      push(issue.path, false, `missing required field (expected ${issue.expected})`);
    } else if (issue.code === 'invalid_value' && issue.input === undefined) {
      const values = issue.values.map((v) => JSON.stringify(v)).join('|');
      push(issue.path, false, `missing required field (one of ${values})`);
    } else {
      push(issue.path, false, lowerFirst(issue.message));
    }
  }
  return out;
}

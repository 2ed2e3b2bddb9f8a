import { type Document, LineCounter, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { type V1Alpha1Config, v1alpha1ConfigSchema } from './v1alpha1.js';
import { zodIssuesToConfigIssues } from './yaml-locate.js';

/** One YAML document of a stream, parsed, with its 1-based number. */
interface ParsedDocument {
  readonly doc: Document;
  readonly number: number;
  readonly value: unknown;
}

/**
 * Parses a YAML (or JSON) stream; every syntax error becomes an issue with its line. Empty documents
 * are left out.
 */
export function parseYamlDocuments(
  text: string,
  source: string,
): { documents: ParsedDocument[]; lines: LineCounter } {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const issues: ConfigIssue[] = [];
  const documents: ParsedDocument[] = [];
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, i) => {
    for (const error of doc.errors) {
      const { line, col } = lines.linePos(error.pos[0]);
      issues.push({ document: i + 1, path: '', line, column: col, message: lowerFirst(error.message) });
    }
    if (doc.errors.length > 0) return;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) documents.push({ doc, number: i + 1, value });
  });
  if (issues.length > 0) throw new ConfigError(source, issues);
  return { documents, lines };
}

function lowerFirst(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/** Validates one parsed document against a schema, reporting issues with YAML paths and lines. */
export function validateDocument<TSchema extends z.ZodType>(
  schema: TSchema,
  parsed: ParsedDocument,
  lines: LineCounter,
  source: string,
): z.output<TSchema> {
  const result = schema.safeParse(parsed.value, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(
    source,
    zodIssuesToConfigIssues(result.error.issues, parsed.doc, lines, parsed.number),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The position of a document's first node, for issues about the document as a whole. */
function documentStart(parsed: ParsedDocument, lines: LineCounter): { line: number; column: number } {
  const { line, col } = lines.linePos(parsed.doc.contents?.range?.[0] ?? 0);
  return { line, column: col };
}

/**
 * Parses a machine configuration: a YAML stream whose one `version: v1alpha1` document is the
 * machine config. Typed documents (`apiVersion`/`kind`) are not supported yet and are refused by
 * name; so are a second v1alpha1 document, a stream with none, and anything the schema refuses.
 *
 * @example
 * ```ts
 * const config = parseMachineConfig('version: v1alpha1\nmachine:\n  type: worker\n');
 * config.machine.network.interfaces; // []
 * ```
 * @remarks Throws {@link ConfigError}; its issues name the document, the YAML path and the line.
 */
export function parseMachineConfig(text: string, source = 'machine config'): V1Alpha1Config {
  const { documents, lines } = parseYamlDocuments(text, source);
  const issues: ConfigIssue[] = [];
  let found: ParsedDocument | undefined;
  for (const parsed of documents) {
    const at = documentStart(parsed, lines);
    const value = parsed.value;
    if (isRecord(value) && 'version' in value) {
      if (found !== undefined) {
        issues.push({
          document: parsed.number,
          path: '',
          ...at,
          message: `a second v1alpha1 document (the first is document ${found.number})`,
        });
      } else {
        found = parsed;
      }
    } else if (isRecord(value) && typeof value.kind === 'string') {
      issues.push({
        document: parsed.number,
        path: 'kind',
        ...at,
        message: `unsupported document kind ${JSON.stringify(value.kind)}`,
      });
    } else {
      issues.push({
        document: parsed.number,
        path: '',
        ...at,
        message: 'not a machine config document (no version: v1alpha1)',
      });
    }
  }
  if (found === undefined && issues.length === 0) {
    issues.push({ document: 1, path: '', line: 1, column: 1, message: 'no v1alpha1 document' });
  }
  if (issues.length > 0) throw new ConfigError(source, issues);
  return validateDocument(v1alpha1ConfigSchema, found as ParsedDocument, lines, source);
}

/** {@link parseMachineConfig} as a result: the config, or the error with its issues. */
export function safeParseMachineConfig(
  text: string,
  source?: string,
): { success: true; config: V1Alpha1Config } | { success: false; error: ConfigError } {
  try {
    return { success: true, config: parseMachineConfig(text, source) };
  } catch (error) {
    if (error instanceof ConfigError) return { success: false, error };
    throw error;
  }
}

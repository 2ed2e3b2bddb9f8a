import { JSONPath } from 'jsonpath-plus';
import { CliError, exitCodes } from './exit-codes.js';

/** One piece of a parsed template. */
type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'range'; readonly path: string; readonly body: readonly Node[] };

function invalid(template: string, why: string): CliError {
  return new CliError(`invalid jsonpath template ${JSON.stringify(template)}: ${why}`, exitCodes.usage);
}

/** Splits a template into text and `{...}` actions (a `}` inside a quoted string does not close). */
function tokens(template: string): { text?: string; action?: string }[] {
  const out: { text?: string; action?: string }[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      out.push({ text: template.slice(i) });
      break;
    }
    if (open > i) out.push({ text: template.slice(i, open) });
    let j = open + 1;
    let quote: string | undefined;
    for (; j < template.length; j++) {
      const c = template[j];
      if (quote !== undefined) {
        if (c === '\\') j++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '}') break;
    }
    if (j >= template.length) throw invalid(template, 'unclosed {');
    out.push({ action: template.slice(open + 1, j).trim() });
    i = j + 1;
  }
  return out;
}

function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  return body.replace(/\\(.)/g, (_, c: string) =>
    c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c,
  );
}

/** Parses a kubectl-style JSONPath template: text, `{.path}`, `{"literal"}`, `{range .path}...{end}`. */
function parse(template: string): Node[] {
  const stack: { path: string; body: Node[] }[] = [{ path: '', body: [] }];
  for (const t of tokens(template)) {
    const body = stack[stack.length - 1]!.body;
    if (t.text !== undefined) {
      body.push({ kind: 'text', text: t.text });
      continue;
    }
    const action = t.action!;
    if (/^(["']).*\1$/s.test(action)) body.push({ kind: 'text', text: unquote(action) });
    else if (action === 'end') {
      const done = stack.pop()!;
      if (stack.length === 0) throw invalid(template, '{end} without {range}');
      stack[stack.length - 1]!.body.push({ kind: 'range', path: done.path, body: done.body });
    } else if (action.startsWith('range ')) stack.push({ path: action.slice(6).trim(), body: [] });
    else if (action === '') throw invalid(template, 'empty {}');
    else body.push({ kind: 'path', path: action });
  }
  if (stack.length !== 1) throw invalid(template, '{range} without {end}');
  return stack[0]!.body;
}

/** kubectl's relative paths (`.a.b`, `[0]`, `@`) as jsonpath-plus paths on the current value. */
function evaluate(template: string, path: string, root: unknown, current: unknown): unknown[] {
  const onRoot = path.startsWith('$');
  const rest = onRoot ? path.slice(1) : path.startsWith('@') ? path.slice(1) : path;
  const normalised =
    rest === '' || rest === '.' ? '$' : `$${rest.startsWith('.') || rest.startsWith('[') ? '' : '.'}${rest}`;
  try {
    return JSONPath({ path: normalised, json: (onRoot ? root : current) as object, wrap: true }) as unknown[];
  } catch (error) {
    throw invalid(template, `${path}: ${(error as Error).message}`);
  }
}

function show(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A compiled `-o jsonpath=` template. */
export interface JsonPathTemplate {
  /** The template's text for one value (a list is `{ items: [...] }`). */
  render(value: unknown): string;
}

/**
 * Compiles a template as `kubectl get -o jsonpath=` takes it; a template without braces is one path
 * (`.items[*].metadata.id`). Several results of one path are joined by spaces; missing ones print nothing.
 */
export function compileJsonPathTemplate(template: string): JsonPathTemplate {
  const nodes = parse(template.includes('{') ? template : `{${template}}`);
  const run = (list: readonly Node[], root: unknown, current: unknown): string => {
    let out = '';
    for (const node of list) {
      if (node.kind === 'text') out += node.text;
      else if (node.kind === 'path') out += evaluate(template, node.path, root, current).map(show).join(' ');
      else {
        for (const item of evaluate(template, node.path, root, current)) out += run(node.body, root, item);
      }
    }
    return out;
  };
  return { render: (value) => run(nodes, value, value) };
}

import { type LabelQuery, type LabelTerm, label } from '../runtime/state/label-query.js';
import { CliError, exitCodes } from './exit-codes.js';

const token = '[^\\s,()=!<>]+';
const patterns: [RegExp, (m: RegExpExecArray) => LabelTerm][] = [
  [
    new RegExp(`^(${token})\\s+notin\\s+\\(([^)]*)\\)$`),
    (m) => label.in(m[1]!, values(m[2]!), { invert: true }),
  ],
  [new RegExp(`^(${token})\\s+in\\s+\\(([^)]*)\\)$`), (m) => label.in(m[1]!, values(m[2]!))],
  [new RegExp(`^(${token})\\s*!=\\s*(${token})?$`), (m) => label.equal(m[1]!, m[2] ?? '', { invert: true })],
  [new RegExp(`^(${token})\\s*==?\\s*(${token})?$`), (m) => label.equal(m[1]!, m[2] ?? '')],
  [new RegExp(`^!\\s*(${token})$`), (m) => label.exists(m[1]!, { invert: true })],
  [new RegExp(`^(${token})$`), (m) => label.exists(m[1]!)],
];

function values(list: string): string[] {
  return list
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((t) => t.trim());
}

/**
 * Parses a label selector as kubectl writes it: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`,
 * `k notin (a,b)`, terms separated by commas (ANDed).
 */
export function parseSelector(text: string): LabelQuery {
  const terms: LabelTerm[] = [];
  for (const part of splitTerms(text)) {
    if (part === '')
      throw new CliError(`invalid selector ${JSON.stringify(text)}: empty term`, exitCodes.usage);
    const match = patterns.find(([re]) => re.test(part));
    if (match === undefined) {
      throw new CliError(
        `invalid selector term ${JSON.stringify(part)}: use k=v, k!=v, k, !k, "k in (a,b)" or "k notin (a,b)"`,
        exitCodes.usage,
      );
    }
    terms.push(match[1](match[0].exec(part)!));
  }
  return terms;
}

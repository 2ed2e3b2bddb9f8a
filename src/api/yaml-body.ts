import {
  Composer,
  CST,
  isMap,
  isNode,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  Parser,
  type YAMLError,
} from 'yaml';
import { yamlErrorLine } from '../runtime/resource/yaml-error-line.js';
import { ApiError } from './api-error.js';

/**
 * YAML request bodies, parsed with work linear in their size. The `yaml` library composes nodes
 * recursively (a deep body overflows the stack, and then worse) and checks duplicate keys with a
 * scan per key, so the body is lexed first, its nesting bounded before anything recurses, and
 * duplicate keys are found with one set per mapping.
 */

function malformed(message: string): ApiError {
  return new ApiError(400, 'MalformedBody', `malformed YAML body: ${message}`);
}

/**
 * Lexes the text and refuses it when it could nest deeper than `maxDepth`. The bound is
 * conservative: flow brackets are counted exactly; block collections by the columns of the node
 * starts still open, each of which holds at most two collections (a mapping and a sequence as its
 * value). Aliases are refused: an alias splices a node in again, so it could nest without bound.
 */
function lexBounded(text: string, maxDepth: number): string[] {
  const lexemes: string[] = [];
  const open: number[] = []; // columns of block node starts, increasing
  let flow = 0;
  let column = 0;
  let lineStart = true;
  let afterIndicator = false;
  for (const lexeme of new Lexer().lex(text)) {
    lexemes.push(lexeme);
    const type = CST.tokenType(lexeme);
    switch (type) {
      case 'byte-order-mark':
      case 'doc-mode':
      case 'flow-error-end':
      case 'scalar':
        continue; // markers without width
      case 'newline':
        if (lexeme !== '') {
          column = 0;
          lineStart = true;
        }
        continue;
      case 'space':
      case 'comment':
      case 'anchor':
      case 'tag':
        column += lexeme.length;
        continue;
      case 'alias':
        throw malformed(`aliases are not accepted in request bodies (${lexeme.slice(0, 64)})`);
      case 'doc-start':
      case 'doc-end':
        open.length = 0;
        flow = 0;
        break;
      case 'flow-map-start':
      case 'flow-seq-start':
        flow++;
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        if (flow > 0) flow--;
        break;
      default:
        if (flow === 0 && (lineStart || afterIndicator)) {
          if (lineStart) while (open.length > 0 && open[open.length - 1]! > column) open.pop();
          if (open.length === 0 || open[open.length - 1]! < column) open.push(column);
        }
    }
    if (flow + 2 * open.length > 2 * maxDepth + 2) {
      throw new ApiError(400, 'MalformedBody', `request body nests deeper than ${maxDepth} levels`);
    }
    afterIndicator = flow === 0 && (type === 'seq-item-ind' || type === 'explicit-key-ind');
    const nl = lexeme.lastIndexOf('\n');
    column = nl < 0 ? column + lexeme.length : lexeme.length - nl - 1;
    lineStart = nl >= 0 && nl === lexeme.length - 1;
  }
  return lexemes;
}

/** The error of a document that failed to parse, naming the line where it went wrong. */
function parseError(errors: readonly YAMLError[], lines: LineCounter): ApiError {
  const spilled = errors.find((e) => e.code === 'MULTILINE_IMPLICIT_KEY');
  if (spilled !== undefined) {
    return malformed(
      `line ${yamlErrorLine(spilled, lines)}: bad indentation (a key is not where the lines around it put it)`,
    );
  }
  const first = errors[0]!;
  const at = lines.linePos(first.pos[0]);
  return malformed(`line ${at.line}, column ${at.col}: ${first.message.split('\n')[0]}`);
}

/** Refuses a mapping with a key given twice, or a key that is not a scalar; one set per mapping. */
function checkKeys(root: unknown, lines: LineCounter): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        const line = isNode(key) && key.range ? lines.linePos(key.range[0]).line : 0;
        if (!isScalar(key)) throw malformed(`line ${line}: mapping keys must be strings`);
        const name = String(key.value);
        if (seen.has(name)) {
          throw malformed(`line ${line}: duplicate key ${JSON.stringify(name.slice(0, 100))}`);
        }
        seen.add(name);
        stack.push(pair.value);
      }
    }
  }
}

/** Lexemes handled between two turns of the event loop while parsing (about a millisecond's work). */
const lexemesPerTurn = 2_048;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Parses a one-document YAML body to plain data; 400 naming the line when it is malformed. Lexing
 * and parsing give the event loop back every {@link lexemesPerTurn} lexemes, so other clients are
 * served while a large body is read.
 */
export async function parseYamlBody(text: string, maxDepth: number): Promise<unknown> {
  const lexemes = lexBounded(text, maxDepth);
  const lines = new LineCounter();
  const parser = new Parser(lines.addNewLine);
  lines.addNewLine(0);
  const tokens = [];
  for (let i = 0; i < lexemes.length; i++) {
    for (const token of parser.next(lexemes[i]!)) tokens.push(token);
    if (i % lexemesPerTurn === lexemesPerTurn - 1) await nextTurn();
  }
  for (const token of parser.end()) tokens.push(token);
  await nextTurn();
  const composer = new Composer({ uniqueKeys: false, prettyErrors: false });
  const documents = [...composer.compose(tokens)];
  if (documents.length !== 1) throw malformed(`expected one document, found ${documents.length}`);
  const document = documents[0]!;
  if (document.errors.length > 0) throw parseError(document.errors, lines);
  checkKeys(document.contents as Node | null, lines);
  return document.toJS({ maxAliasCount: 0 });
}

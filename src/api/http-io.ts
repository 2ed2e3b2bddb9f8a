import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errorToWire } from './api-error.js';
import type { ResolvedLimits } from './limits.js';
import { parseYamlBody } from './yaml-body.js';

/** Reading request bodies and query strings, and writing JSON or YAML answers, with limits. */

/** Reads a whole request body; refuses (413) beyond `limit` bytes without buffering the rest. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: Error | undefined) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop reading: the answer goes out and the connection closes after it.
        req.pause();
        finish(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onError = (error: Error) => finish(error);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'PayloadTooLarge', `request body is larger than the limit of ${limit} bytes`);
}

/** How deep request bodies may nest; deeper ones are refused before anything walks them. */
const maxBodyDepth = 64;

/** Refuses (400) a value nesting deeper than {@link maxBodyDepth}, walking it without recursion. */
function checkDepth(value: unknown): unknown {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > maxBodyDepth) {
      throw new ApiError(400, 'MalformedBody', `request body nests deeper than ${maxBodyDepth} levels`);
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return value;
}

/** Parses a body as JSON (default) or YAML (`Content-Type: application/yaml`); 400 on malformed input. */
export async function parseBody(
  req: IncomingMessage,
  body: Buffer,
  limits: ResolvedLimits,
): Promise<unknown> {
  return checkDepth(await parseText(req, body, limits));
}

async function parseText(req: IncomingMessage, body: Buffer, limits: ResolvedLimits): Promise<unknown> {
  const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (body.length === 0) throw new ApiError(400, 'MalformedBody', 'request body is empty');
  const text = body.toString('utf8');
  if (type === 'application/json') {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ApiError(400, 'MalformedBody', `malformed JSON body: ${(error as Error).message}`);
    }
  }
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    // Parsing YAML costs about a hundred times what JSON does, on the event loop: it gets a lower limit.
    if (body.length > limits.maxYamlBodyBytes) {
      throw new ApiError(
        413,
        'PayloadTooLarge',
        `a YAML request body is larger than the limit of ${limits.maxYamlBodyBytes} bytes; send larger bodies as JSON`,
      );
    }
    return await parseYamlBody(text, maxBodyDepth);
  }
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `unsupported content type ${JSON.stringify(type)}; use application/json or application/yaml`,
  );
}

/** Query parameters, refusing repeated and unknown names. */
export function parseQuery(search: string, allowed: readonly string[]): Map<string, string> {
  const params = new Map<string, string>();
  if (search === '') return params;
  for (const part of search.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeComponent(eq < 0 ? part : part.slice(0, eq), 'query parameter name');
    const value = decodeComponent(eq < 0 ? '' : part.slice(eq + 1), `query parameter ${key}`);
    if (!allowed.includes(key)) {
      throw new ApiError(
        400,
        'BadRequest',
        `unknown query parameter ${JSON.stringify(key)}${allowed.length > 0 ? `; allowed: ${allowed.join(', ')}` : ''}`,
      );
    }
    if (params.has(key)) throw new ApiError(400, 'BadRequest', `query parameter ${key} given twice`);
    params.set(key, value);
  }
  return params;
}

/** Decodes one URL component (`+` is a space in query strings); 400 when malformed. */
export function decodeComponent(text: string, what: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new ApiError(400, 'BadRequest', `malformed percent-encoding in ${what}`);
  }
}

/** A boolean query parameter: `true`/`false`/`1`/`0`, absent = undefined. */
export function booleanParam(params: Map<string, string>, key: string): boolean | undefined {
  const v = params.get(key);
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1' || v === '') return true;
  if (v === 'false' || v === '0') return false;
  throw new ApiError(
    400,
    'BadRequest',
    `query parameter ${key} must be true or false, got ${JSON.stringify(v)}`,
  );
}

/** A non-negative integer query parameter. */
export function integerParam(params: Map<string, string>, key: string, max: number): number | undefined {
  const v = params.get(key);
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(v) || Number(v) > max) {
    throw new ApiError(
      400,
      'BadRequest',
      `query parameter ${key} must be an integer from 0 to ${max}, got ${JSON.stringify(v.slice(0, 64))}`,
    );
  }
  return Number(v);
}

/** True when the client asked for YAML (`Accept: application/yaml`). */
export function wantsYaml(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return accept !== undefined && /\b(application|text)\/(x-)?yaml\b/i.test(accept);
}

/** Writes a JSON (already serialised) answer. */
export function sendJsonText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes a YAML answer. */
export function sendYamlText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/yaml', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes an error as `{ error: { status, code, message, pointer?, issues? } }` with its status. */
export function sendError(res: ServerResponse, error: unknown, closeConnection = false): void {
  const wire = errorToWire(error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify({ error: wire });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  };
  if (closeConnection) headers.connection = 'close';
  res.writeHead(wire.status, headers);
  res.end(text);
}

import { request } from 'node:https';

/** What a raw HTTPS request got back: a status and body, or the network error that refused it. */
export type RawResult =
  | {
      readonly ok: true;
      readonly status: number;
      readonly body: string;
      readonly headers: Record<string, unknown>;
    }
  | { readonly ok: false; readonly error: Error & { code?: string } };

/** Options of {@link rawRequest}. */
export interface RawRequestOptions {
  method?: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string | number>;
  tls: { ca: string; cert?: string; key?: string };
}

/** One HTTPS request without an agent, for tests that speak to the server directly. */
export function rawRequest(url: string, options: RawRequestOptions): Promise<RawResult> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = request(
      {
        hostname: u.hostname,
        port: Number(u.port),
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers ?? {},
        agent: false,
        ca: options.tls.ca,
        ...(options.tls.cert !== undefined ? { cert: options.tls.cert, key: options.tls.key } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            ok: true,
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', (error) => resolve({ ok: false, error }));
      },
    );
    req.on('error', (error) => resolve({ ok: false, error }));
    req.end(options.body);
  });
}

/** The parsed JSON body of a result (throws when the request failed or the body is not JSON). */
export function jsonOf(result: RawResult): any {
  if (!result.ok) throw result.error;
  return JSON.parse(result.body);
}

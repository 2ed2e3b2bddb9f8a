/** Limits of the API server; every one has a default. */
export interface ApiLimits {
  /** Largest request body in bytes (default 1 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /** Largest YAML request body in bytes (default 64 KiB): YAML costs far more CPU to parse than JSON. */
  maxYamlBodyBytes?: number;
  /** Largest request head (request line and headers) in bytes (default 16 KiB); larger ones get 431. */
  maxHeaderBytes?: number;
  /** Most headers in a request (default 64). */
  maxHeadersCount?: number;
  /** Most open watch streams per client certificate (default 256); more get 429. */
  maxWatchesPerClient?: number;
  /** Most open connections (default 1,024). */
  maxConnections?: number;
  /** An idle keep-alive connection is closed after this long (default 30 s). */
  idleTimeoutMs?: number;
  /** A connection that sends no data, and receives none, for this long is closed (default 120 s). */
  socketTimeoutMs?: number;
  /** The request head must arrive within this time (default 10 s). */
  headersTimeoutMs?: number;
  /** The whole request (head and body) must arrive within this time (default 30 s). */
  requestTimeoutMs?: number;
  /** The TLS handshake must finish within this time (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Watch streams carry a heartbeat line this often (default 15 s), so clients notice dead connections. */
  heartbeatMs?: number;
  /** A watch stream whose socket buffers more than this pauses its store watch until it drains (default 4 MiB). */
  watchHighWaterBytes?: number;
}

/** {@link ApiLimits} with defaults applied. */
export type ResolvedLimits = Required<ApiLimits>;

/** Applies the defaults and checks the values. */
export function resolveLimits(limits: ApiLimits = {}): ResolvedLimits {
  const resolved: ResolvedLimits = {
    maxBodyBytes: 1024 * 1024,
    maxYamlBodyBytes: 64 * 1024,
    maxHeaderBytes: 16 * 1024,
    maxHeadersCount: 64,
    maxWatchesPerClient: 256,
    maxConnections: 1024,
    idleTimeoutMs: 30_000,
    socketTimeoutMs: 120_000,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    handshakeTimeoutMs: 10_000,
    heartbeatMs: 15_000,
    watchHighWaterBytes: 4 * 1024 * 1024,
  };
  for (const [key, value] of Object.entries(limits) as [keyof ApiLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(key in resolved)) throw new RangeError(`unknown API limit ${JSON.stringify(key)}`);
    if (!Number.isFinite(value) || value <= 0)
      throw new RangeError(`API limit ${key} must be positive, got ${value}`);
    resolved[key] = value;
  }
  return resolved;
}

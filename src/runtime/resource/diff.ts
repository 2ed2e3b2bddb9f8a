import fastJsonPatch from 'fast-json-patch';

/** One RFC 6902 operation, as fast-json-patch produces it. */
export type PatchOperation = fastJsonPatch.Operation;

/**
 * The RFC 6902 JSON patch that turns resource `a` into resource `b` (metadata and spec).
 *
 * @remarks Applying the result to a copy of `a` gives `b`; neither input is touched.
 */
export function diffResources(
  a: { metadata: object; spec: unknown },
  b: { metadata: object; spec: unknown },
): PatchOperation[] {
  return fastJsonPatch.compare(
    { metadata: a.metadata, spec: a.spec as object },
    { metadata: b.metadata, spec: b.spec as object },
  );
}

import { stringify } from 'yaml';
import { metadataKeyOrder } from './metadata.js';

/** Options of {@link resourceToObject} and {@link resourceToYaml}. */
export interface PrintOptions {
  /** Replace the spec with this value (readers of sensitive types see a redacted spec). */
  redactSpec?: unknown;
}

/**
 * A resource as a plain object with COSI's key order: `metadata` (namespace, type, id, version,
 * owner, phase, created, updated, then labels and annotations with sorted keys, and finalizers,
 * each only when non-empty) followed by `spec`.
 */
export function resourceToObject(
  resource: { metadata: object; spec: unknown },
  options: PrintOptions = {},
): { metadata: Record<string, unknown>; spec: unknown } {
  const source = resource.metadata as Record<string, unknown>;
  const metadata: Record<string, unknown> = {};
  for (const key of metadataKeyOrder) {
    const value = source[key];
    if (key === 'labels' || key === 'annotations') {
      const entries = Object.entries((value ?? {}) as Record<string, string>);
      if (entries.length > 0)
        metadata[key] = Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
    } else if (key === 'finalizers') {
      if (Array.isArray(value) && value.length > 0) metadata[key] = [...value];
    } else if (value !== undefined) {
      metadata[key] = value;
    }
  }
  return { metadata, spec: 'redactSpec' in options ? options.redactSpec : resource.spec };
}

/** A resource as one YAML document (`metadata` in COSI key order, then `spec`). */
export function resourceToYaml(
  resource: { metadata: object; spec: unknown },
  options: PrintOptions = {},
): string {
  return stringify(resourceToObject(resource, options), { lineWidth: 0 });
}

/** Several resources as a multi-document YAML stream (`---` between documents). */
export function resourcesToYaml(resources: readonly { metadata: object; spec: unknown }[]): string {
  return resources.map((r) => resourceToYaml(r)).join('---\n');
}

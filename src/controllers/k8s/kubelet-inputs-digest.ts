import { createHash } from 'node:crypto';
import type { KubeletSpec } from '../../resources/k8s/kubelet-spec.js';
import type { KubeletSecret } from '../../resources/secrets/kubelet.js';

/** JSON with object keys sorted, so equal content always gives equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A digest of everything the kubelet is started from: equal digests, nothing to restart for. */
export function kubeletInputsDigest(spec: KubeletSpec['spec'], secrets: KubeletSecret['spec']): string {
  return createHash('sha256').update(canonicalJson({ spec, secrets })).digest('hex');
}

/**
 * Document diffs of machine configs: both sides rendered as canonical YAML (the parsed config with
 * its defaults, keys in schema order), then a unified diff, so comments and layout never show as
 * changes and a dry run says exactly what the node would run differently.
 */
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import type { V1Alpha1Config } from '../../resources/config/v1alpha1.js';

/** The canonical YAML of a config; `''` for none (a node in maintenance). */
function canonicalConfig(config: V1Alpha1Config | undefined): string {
  return config === undefined ? '' : stringify(config, { sortMapEntries: false });
}

/** A unified diff from `before` to `after`; `''` when they are the same document. */
export function configDiff(
  before: V1Alpha1Config | undefined,
  after: V1Alpha1Config | undefined,
  labels: { readonly before: string; readonly after: string } = { before: 'current', after: 'new' },
): string {
  const a = canonicalConfig(before);
  const b = canonicalConfig(after);
  if (a === b) return '';
  return createTwoFilesPatch(labels.before, labels.after, a, b, undefined, undefined, { context: 3 });
}

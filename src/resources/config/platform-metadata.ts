import { type PlatformConfigSpec, platformConfigSchema } from '../network/platform-config.js';
import { ConfigError } from './config-error.js';
import { parseYamlDocuments, validateDocument } from './load-config.js';

/**
 * Parses a platform metadata file (JSON, as a cloud or hypervisor hands it over) into the
 * `platform` layer's configuration. Strict: unknown fields are refused.
 *
 * @remarks Throws {@link ConfigError} naming the field and its line.
 */
export function parsePlatformMetadata(text: string, source = 'platform metadata'): PlatformConfigSpec {
  const { documents, lines } = parseYamlDocuments(text, source);
  const [first, second] = documents;
  if (first === undefined) {
    throw new ConfigError(source, [{ document: 1, path: '', line: 1, column: 1, message: 'empty metadata' }]);
  }
  if (second !== undefined) {
    const { line, col } = lines.linePos(second.doc.contents?.range?.[0] ?? 0);
    throw new ConfigError(source, [
      { document: second.number, path: '', line, column: col, message: 'more than one document' },
    ]);
  }
  return validateDocument(platformConfigSchema, first, lines, source);
}

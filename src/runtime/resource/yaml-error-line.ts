import type { LineCounter, YAMLError } from 'yaml';

/**
 * The line a YAML parse error is really about. A misindented key reads to the parser as a plain
 * scalar continuing the line above, and the library reports where that scalar starts; the culprit
 * is where the key spills over, the end of that range.
 */
export function yamlErrorLine(error: YAMLError, lines: LineCounter): number {
  const at =
    error.code === 'MULTILINE_IMPLICIT_KEY' ? Math.max(error.pos[0], error.pos[1] - 1) : error.pos[0];
  return lines.linePos(at).line;
}

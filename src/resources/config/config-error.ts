/** Where one problem of a configuration sits, and what it is. */
export interface ConfigIssue {
  /** The 1-based document of a multi-document YAML stream. */
  readonly document: number;
  /** The YAML path, `machine.network.interfaces[0].addresses[1]`; '' for the document itself. */
  readonly path: string;
  /** 1-based line and column. */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Formats one issue: `document 1, machine.type (line 3, column 9): invalid option ...`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.path === '' ? '' : `, ${issue.path}`;
  return `document ${issue.document}${where} (line ${issue.line}, column ${issue.column}): ${issue.message}`;
}

/** A configuration (machine config, platform metadata) that cannot be used; nothing was applied. */
export class ConfigError extends Error {
  /** Discriminant, as the engine's errors have. */
  readonly code = 'InvalidConfig' as const;

  constructor(
    /** What was being read, e.g. `machine config` or a file name. */
    readonly source: string,
    /** Every problem found, in document order. */
    readonly issues: readonly ConfigIssue[],
  ) {
    super(`invalid ${source}:\n${issues.map((i) => `  ${formatConfigIssue(i)}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Whether an error is a {@link ConfigError}. */
export const isConfigError = (error: unknown): error is ConfigError => error instanceof ConfigError;

/**
 * Progress of long node operations: one bar per node on a terminal (cli-progress), one line per
 * step otherwise (pipes, CI, tests), and a one-line summary at the end either way. Notes (a failure,
 * a revert) are printed as lines in both.
 */
import cliProgress from 'cli-progress';
import type { Output } from '../commands/output-sink.js';

/** The progress of one operation over several nodes. */
export interface Progress {
  /** Node `name` reached `step` of `total`, doing `what`. */
  update(name: string, step: number, what: string): void;
  /** A line worth keeping whatever the display: printed above the bars, or as its own line. */
  note(name: string, what: string): void;
  /** Ends the bars and prints the summary line. */
  finish(summary: string): void;
}

/** Makes a progress display for `names`, each with `total` steps. */
export function createProgress(
  names: readonly string[],
  total: number,
  out: Output,
  terminal: NodeJS.WriteStream | undefined = process.stderr.isTTY ? process.stderr : undefined,
): Progress {
  if (terminal === undefined) {
    // Without bars, a line when a node reaches a step: the details between steps are `converge events`.
    const reached = new Map<string, number>();
    return {
      update(name, step, what) {
        if (reached.get(name) === step) return;
        reached.set(name, step);
        out.write(`${name} [${step}/${total}] ${what}\n`);
      },
      note: (name, what) => out.write(`${name} ${what}\n`),
      finish: (summary) => out.write(`${summary}\n`),
    };
  }
  const width = Math.max(...names.map((n) => n.length));
  const multi = new cliProgress.MultiBar(
    {
      stream: terminal,
      format: '{node} [{bar}] {value}/{total} {what}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map(
    names.map((n) => [n, multi.create(total, 0, { node: n.padEnd(width), what: 'starting' })]),
  );
  return {
    update: (name, step, what) => bars.get(name)?.update(step, { what }),
    note: (name, what) => multi.log(`${name.padEnd(width)} ${what}\n`),
    finish(summary) {
      multi.stop();
      out.write(`${summary}\n`);
    },
  };
}

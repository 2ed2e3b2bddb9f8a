// Replaying a failing convergence run: the environment variable and the command a failure prints.
/** The environment variable that replays a failure: `seed,path,commandsReplayPath`, as printed. */
export const replayVariable = 'CONVERGE_REPLAY';

/** What replays one failing run of a property. */
export interface Replay {
  readonly seed: number;
  readonly path: string;
  /** The replay path of `fc.commands` (which commands ran), needed to shrink commands the same way. */
  readonly commands: string;
}

function currentTest(): { file?: string; name?: string } {
  const expectGlobal = (globalThis as Record<symbol, unknown>)[Symbol.for('expect-global')] as
    | { getState?: () => { testPath?: string; currentTestName?: string } }
    | undefined;
  const out: { file?: string; name?: string } = {};
  try {
    const state = expectGlobal?.getState?.();
    const cwd = `${process.cwd()}/`;
    const path = state?.testPath;
    if (path) out.file = path.startsWith(cwd) ? path.slice(cwd.length) : path;
    if (state?.currentTestName) out.name = state.currentTestName.replaceAll(' > ', ' ');
  } catch {
    // vitest is loaded but is not running a test (a script): there is no test to name.
  }
  return out;
}

/**
 * The `-t` pattern that selects exactly the test named `name`: vitest reads `-t` as a regular
 * expression over the test's full name, so every character that means something there is escaped.
 */
export function testNamePattern(name: string): string {
  return `^${name.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$`;
}

/** The shell command that replays a failing run (the test file and name are found when vitest runs it). */
export function replayCommand(replay: Replay): string {
  const { file, name } = currentTest();
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const target =
    file === undefined
      ? '<the same command>'
      : `npx vitest run ${file}${name ? ` -t ${quote(testNamePattern(name))}` : ''}`;
  return `${replayVariable}=${quote(`${replay.seed},${replay.path},${replay.commands}`)} ${target}`;
}

/** Reads `CONVERGE_REPLAY`; `undefined` when unset. */
export function replayFromEnvironment(): Replay | undefined {
  const raw = process.env[replayVariable];
  if (raw === undefined || raw === '') return undefined;
  const match = /^(-?\d+),([\d:]*),([A-Za-z0-9+/:]*)$/.exec(raw.trim());
  if (match === null) {
    throw new Error(`${replayVariable} must be "seed,path,commands" as printed by a failure, got ${raw}`);
  }
  return { seed: Number(match[1]), path: match[2]!, commands: match[3]! };
}

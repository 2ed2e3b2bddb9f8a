import { RE2JS } from 're2js';

/**
 * Id queries from clients run on the server's event loop, and Node's backtracking engine has no
 * timeout: `.*.*.*!` takes seconds on a long id. So the API matches them with RE2 (a pure-JS port,
 * linear in the id's length), behind a `RegExp` whose `exec` the store's `test` calls.
 */

/** The largest compiled program accepted: it bounds the work per id (RE2's cost is program × input). */
const maxProgramSize = 4_000;

const flagBits: Record<string, number> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  u: 0, // RE2 matches by code point already
};

/** A `RegExp` that matches with RE2 in linear time; `test`, `exec` and `String#match` go through it. */
class LinearRegExp extends RegExp {
  readonly #engine: RE2JS;

  constructor(source: string, flags: string, engine: RE2JS) {
    // The native pattern is never run: every match goes through `exec` below.
    super('(?:)', flags);
    this.#engine = engine;
    Object.defineProperty(this, 'source', { value: source });
  }

  override exec(input: string): RegExpExecArray | null {
    return this.#engine.exec(String(input)) as RegExpExecArray | null;
  }
}

/**
 * Compiles a client's regular expression for linear-time matching, or throws a `SyntaxError` that
 * says why not (RE2 has no backreferences or lookarounds, and very large programs are refused).
 */
export function linearRegExp(source: string, flags = ''): RegExp {
  let bits = 0;
  for (const flag of flags) {
    const bit = flagBits[flag];
    if (bit === undefined) throw new SyntaxError(`flag ${JSON.stringify(flag)} is not supported`);
    bits |= bit;
  }
  let engine: RE2JS;
  try {
    engine = RE2JS.compile(RE2JS.translateRegExp(source), bits);
  } catch (error) {
    throw new SyntaxError((error as Error).message);
  }
  if (engine.programSize() > maxProgramSize) {
    throw new SyntaxError(`the pattern is too large (its program exceeds ${maxProgramSize} instructions)`);
  }
  return new LinearRegExp(source, flags, engine);
}

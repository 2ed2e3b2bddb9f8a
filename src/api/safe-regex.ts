/**
 * Why a regular expression could backtrack without bound, or `undefined` when it cannot.
 *
 * @remarks Node has no regex timeout, and an id query runs on the server's event loop, so the API
 * takes only patterns without backreferences and without a repeated group that itself repeats or
 * alternates (`(a+)+`, `(a|aa)*`): the shapes behind catastrophic backtracking. Anchors, classes,
 * plain repeats and alternation outside repeated groups (`^(eth|wlan)[0-9]+$`) are fine.
 */
export function unsafeRegexReason(source: string): string | undefined {
  // One frame per open group: does it hold a quantifier, or an alternation?
  const groups: { quantified: boolean; alternates: boolean }[] = [];
  let inClass = false;
  let unbounded = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || next === 'k')) return 'backreferences are not allowed';
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
    } else if (c === '(') {
      groups.push({ quantified: false, alternates: false });
    } else if (c === ')') {
      const group = groups.pop();
      if (group === undefined) continue;
      const repeated = isQuantifier(source, i + 1);
      if (repeated && (group.quantified || group.alternates)) {
        return 'a repeated group may not contain repeats or alternatives';
      }
      const parent = groups[groups.length - 1];
      if (parent !== undefined) {
        parent.quantified ||= group.quantified || repeated;
        parent.alternates ||= group.alternates;
      }
    } else if (c === '|') {
      const top = groups[groups.length - 1];
      if (top !== undefined) top.alternates = true;
    } else if (isQuantifier(source, i)) {
      const top = groups[groups.length - 1];
      if (top !== undefined) top.quantified = true;
    }
    // Several unbounded repeats in a row backtrack polynomially (`.*.*.*x`).
    if ((c === '*' || c === '+' || (c === '{' && /^\{\d+,\}/.test(source.slice(i)))) && !inClass) {
      if (++unbounded > maxUnbounded) return `at most ${maxUnbounded} unbounded repeats are allowed`;
    }
  }
  return undefined;
}

const maxUnbounded = 3;

/** True when `source[at]` starts a quantifier: `*`, `+`, `?` (after an atom) or `{n}`, `{n,}`, `{n,m}`. */
function isQuantifier(source: string, at: number): boolean {
  const c = source[at];
  if (c === '*' || c === '+') return true;
  if (c === '?') return at > 0 && source[at - 1] !== '(';
  if (c === '{') return /^\{\d+(,\d*)?\}/.test(source.slice(at));
  return false;
}

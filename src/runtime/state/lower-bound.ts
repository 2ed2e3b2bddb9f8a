/**
 * Index of the first item whose id is not less than `id`, in items sorted by id in code-unit order
 * (as `<` compares, and as `list` returns them). @internal
 */
export function lowerBound<T>(items: readonly T[], id: string, idOf: (item: T) => string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (idOf(items[mid]!) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

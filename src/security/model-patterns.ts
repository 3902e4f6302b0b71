/**
 * A tenant's `models` globs as one matcher, compiled once when the tenants file loads: `*` is any run of
 * characters (also none), `?` is exactly one character, every other character is itself. Patterns hold only the characters a model
 * folder name may (repository/scanner.ts MODEL_NAME) and the two wildcards.
 * No regular expression is built from a pattern, so no pattern can inject one or make matching backtrack
 * without bound: exact names are a Set lookup, and a glob is matched by the classic two-pointer algorithm
 * (worst case pattern length times name length, with no nesting).
 */

export type ModelMatcher = (model: string) => boolean;

/** What a pattern may hold: a model name's characters and `*`, `?`; anything else is refused when the file loads. */
export const MODEL_PATTERN = /^[A-Za-z0-9_.*?-]{1,256}$/;

/** A glob against one name. Greedy `*` with one remembered backtrack point. */
function globMatches(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === '?' || (pattern[p] !== '*' && pattern[p] === name[n]))) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Whether a pattern holds a wildcard (otherwise it is an exact model name). */
export function isGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/**
 * One matcher for a list of patterns: true when any pattern matches the whole name. An empty list matches
 * nothing (a tenant without `models` may use no model); `*` alone matches every name.
 */
export function compileModelPatterns(patterns: readonly string[]): ModelMatcher {
  if (patterns.length === 0) return () => false;
  if (patterns.some((p) => /^\*+$/.test(p))) return () => true;
  const exact = new Set(patterns.filter((p) => !isGlob(p)));
  const globs = patterns.filter(isGlob);
  if (globs.length === 0) return (model) => exact.has(model);
  return (model) => exact.has(model) || globs.some((g) => globMatches(g, model));
}

const compiled = new WeakMap<readonly string[], ModelMatcher>();

/**
 * The matcher for a (frozen) pattern list, compiled on first use and kept for as long as the list lives, so
 * a policy's tenants are compiled once per load however many calls check them.
 */
export function matcherFor(patterns: readonly string[]): ModelMatcher {
  let m = compiled.get(patterns);
  if (!m) {
    m = compileModelPatterns(patterns);
    compiled.set(patterns, m);
  }
  return m;
}

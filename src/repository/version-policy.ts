/**
 * Which of a model's version folders a version_policy selects (Triton's semantics): the N highest numbers,
 * a fixed list, or all of them. Pure, so the registry and the poller agree on it.
 */
import type { VersionPolicy } from '../config/schema';

export const NOT_SELECTED_REASON = 'not selected by version_policy';

/** The versions to load out of those found on disk, sorted ascending. */
export function selectVersions(policy: VersionPolicy, found: readonly number[]): number[] {
  const sorted = [...new Set(found)].sort((a, b) => a - b);
  if (policy === 'all') return sorted;
  if ('latest' in policy) return sorted.slice(Math.max(0, sorted.length - policy.latest));
  const wanted = new Set(policy.specific);
  return sorted.filter((v) => wanted.has(v));
}

export function describePolicy(policy: VersionPolicy): string {
  if (policy === 'all') return 'all';
  return 'latest' in policy ? `latest ${policy.latest}` : `specific [${policy.specific.join(', ')}]`;
}

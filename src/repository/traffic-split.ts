/** The canary draw: which version of a traffic split (if any) takes one request that names no version. */
import type { TrafficSplit } from '../config/traffic-schema';

/** `random()` is uniform in [0, 1); returns the version whose share the draw lands in, or 0 for the default. */
export function drawVersion(split: TrafficSplit, random: () => number): number {
  if (split.length === 0) return 0;
  const r = random() * 100;
  for (const share of split) if (r < share.upTo) return share.version;
  return 0;
}

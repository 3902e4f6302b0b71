/**
 * Sets how far the server process's V8 heap may grow past its live size before a full garbage collection
 * (gc_heap_growing_percent). V8 counts the memory of every ArrayBuffer, so every Buffer a request arrives in,
 * against the old generation's limit; with amaas's small live heap (about 24 MB) its own heuristic left a few
 * MB of slack, and a flood of [64, 512] requests ran a full mark-compact every 70–120 ms, whose concurrent
 * marking took more CPU than the inference workers got (BENCHMARKS.md, noisy neighbour).
 *
 * The flag is set with v8.setFlagsFromString once at start, before any traffic; set that way it took effect
 * (the same flood: 20-23 mark-compacts at 200 instead of 146; at 800, 15, as many as with the flag on node's
 * command line).
 * It is process-wide: an application that embeds amaas shares it.
 */
import v8 from 'node:v8';

/** The V8 flag for `percent`, or null for V8's own heuristic (0). */
export function heapGrowingFlag(percent: number): string | null {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`gc_heap_growing_percent must be a whole number >= 0, got ${percent}`);
  return percent === 0 ? null : `--heap-growing-percent=${percent}`;
}

/** Applies gc_heap_growing_percent to this process; returns the flag set, or null when V8's default stays. */
export function applyHeapGrowth(percent: number, setFlags: (flags: string) => void = v8.setFlagsFromString): string | null {
  const flag = heapGrowingFlag(percent);
  if (flag !== null) setFlags(flag);
  return flag;
}

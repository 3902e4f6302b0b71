/** The service's per-version statistics -> Triton's ModelStatistics messages (uint64 as decimal strings). */
import type { DurationStat, VersionStatistics } from '../../service/model-statistics';

const duration = (d: DurationStat) => ({ count: d.count.toString(), ns: d.ns.toString() });
const none = { count: '0', ns: '0' };

export function toModelStatistics(s: VersionStatistics) {
  return {
    name: s.model,
    version: String(s.version),
    last_inference: String(s.lastInferenceMs),
    inference_count: s.inferenceCount.toString(),
    execution_count: s.executionCount.toString(),
    inference_stats: {
      success: duration(s.success),
      fail: duration(s.fail),
      queue: duration(s.queue),
      compute_input: none,
      compute_infer: duration(s.computeInfer),
      compute_output: none,
      cache_hit: duration(s.cacheHit),
      cache_miss: duration(s.cacheMiss),
    },
    batch_stats: [],
  };
}

/**
 * ModelStatistics (Triton): cumulative counts and durations per model version. No name: every model's READY
 * versions; a name: that model's READY versions; a name and version: that version (NOT_FOUND / UNAVAILABLE
 * as for inference). With auth on, only the models the caller may see (security/model-access.ts).
 */
import type { ApiContext } from '../context';
import { assertModelVisible, identityOf, visibleModels } from '../../security';
import { parseVersionString } from './infer-wire';
import type { WireNameVersion } from './messages';
import { toModelStatistics } from './statistics-wire';
import { unary } from '../unary';

export function modelStatisticsHandler(ctx: ApiContext) {
  return unary<WireNameVersion, { model_stats: ReturnType<typeof toModelStatistics>[] }>((r, call) => {
    const identity = identityOf(call);
    if (r.name) assertModelVisible(identity, ctx.registry, r.name);
    const version = parseVersionString(r.version);
    const stats = ctx.service.statistics;
    if (r.name && version !== 0) {
      const target = ctx.registry.resolve(r.name, version);
      return { model_stats: [toModelStatistics(stats.get(target.model, target.version))] };
    }
    const entries = r.name ? [ctx.registry.entry(r.name)] : visibleModels(identity, ctx.registry.list());
    return {
      model_stats: entries.flatMap((e) =>
        e.sortedVersions.filter((v) => v.state === 'READY').map((v) => toModelStatistics(stats.get(e.name, v.version))),
      ),
    };
  });
}

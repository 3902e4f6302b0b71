/**
 * A model's canary traffic split (`traffic: { "3": 10 }` in its config, or SetTrafficSplit at run time):
 * requests naming no version go to version 3 with 10 % probability, the rest to the default version.
 */
import { z } from 'zod';
import { AmaasError } from '../errors';

/** `{ "<version>": percent }`; the percents add up to at most 100. */
export const TrafficSchema = z
  .record(z.string().regex(/^[1-9][0-9]{0,15}$/, 'keys are version numbers'), z.number().min(0).max(100))
  .refine((t) => totalPercent(Object.values(t)) <= 100, { message: 'the percents add up to more than 100' });

/** One version's share; `upTo` is the running total, so routing is one uniform draw and a short scan. */
export interface TrafficShare {
  readonly version: number;
  readonly percent: number;
  readonly upTo: number;
}

export type TrafficSplit = readonly TrafficShare[];

export const NO_TRAFFIC_SPLIT: TrafficSplit = Object.freeze([]);

function totalPercent(percents: readonly number[]): number {
  // Rounded so that 33.3 + 33.3 + 33.4 is 100, not 100.00000000000001.
  return Math.round(percents.reduce((a, b) => a + b, 0) * 1e9) / 1e9;
}

/**
 * Builds a split from (version, percent) pairs, sorted by version, shares of 0 dropped. Throws
 * AMAAS_ERR_INVALID_REQUEST for a bad version, a percent outside [0, 100], a repeated version or a total above 100.
 */
export function trafficSplitOf(shares: Iterable<readonly [number, number]>): TrafficSplit {
  const seen = new Set<number>();
  const list: [number, number][] = [];
  for (const [version, percent] of shares) {
    if (!Number.isSafeInteger(version) || version < 1) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `traffic: ${version} is not a version number`);
    if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
      throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `traffic: version ${version}'s share must be a percent from 0 to 100, not ${percent}`);
    }
    if (seen.has(version)) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `traffic: version ${version} is given twice`);
    seen.add(version);
    if (percent > 0) list.push([version, percent]);
  }
  const total = totalPercent(list.map(([, p]) => p));
  if (total > 100) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `traffic: the shares add up to ${total} %, more than 100`);
  list.sort((a, b) => a[0] - b[0]);
  let upTo = 0;
  return Object.freeze(
    list.map(([version, percent]) => {
      upTo += percent;
      return Object.freeze({ version, percent, upTo });
    }),
  );
}

export function resolveTraffic(raw: Record<string, number> | undefined): TrafficSplit {
  return raw ? trafficSplitOf(Object.entries(raw).map(([v, p]) => [Number(v), p] as const)) : NO_TRAFFIC_SPLIT;
}

/** "3=10 %, 4=5 %" for logs and messages; "none" for an empty split. */
export function describeTraffic(split: TrafficSplit): string {
  return split.length === 0 ? 'none' : split.map((s) => `${s.version}=${s.percent} %`).join(', ');
}

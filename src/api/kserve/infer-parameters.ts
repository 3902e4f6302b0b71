/**
 * The request parameters of ModelInferRequest that amaas acts on, read as Triton reads them; the others are
 * accepted and ignored (grpc_service.proto says so).
 *   - `timeout`: microseconds an item of ModelStreamInfer may wait, from when it is read (int64 or uint64;
 *     0 = none). Past it, a queued item is answered DEADLINE_EXCEEDED in-band.
 *   - `priority`: Triton's priority level, 1 the highest (int64 or uint64; 0 = the default): 1 is high, 2
 *     normal, 3 and above low. The names `high`, `normal`, `low` are accepted as a string. The tenant's own
 *     priority caps it.
 */
import { AmaasError } from '../../errors';
import type { Priority } from '../../scheduling/scheduler';

/** One InferParameter as proto-loader (and wire-decoder.ts) hand it over: int64 as a decimal string. */
export interface WireInferParameter {
  bool_param?: boolean;
  int64_param?: string | number;
  string_param?: string;
  double_param?: number;
  uint64_param?: string | number;
  parameter_choice?: string;
}

export type WireInferParameters = Record<string, WireInferParameter> | null | undefined;

/** An integer parameter (int64 or uint64), or undefined when absent; anything else is a bad request. */
function integerParameter(params: WireInferParameters, name: string, unit: string): number | undefined {
  const p = params?.[name];
  if (!p) return undefined;
  const raw = p.parameter_choice === 'uint64_param' ? p.uint64_param : p.parameter_choice === 'int64_param' ? p.int64_param : undefined;
  const value = raw === undefined ? NaN : Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `parameter '${name}' must be a non-negative int64 or uint64 (${unit})`);
  }
  return value;
}

/** The `timeout` parameter in ms; undefined when absent or 0 (no timeout). */
export function inferTimeoutMs(params: WireInferParameters): number | undefined {
  const us = integerParameter(params, 'timeout', 'microseconds; 0 = none');
  return us ? us / 1000 : undefined;
}

const PRIORITY_NAMES: readonly string[] = ['high', 'normal', 'low'];

/** The `priority` parameter; undefined when absent or 0 (the tenant's priority). */
export function inferPriority(params: WireInferParameters): Priority | undefined {
  const p = params?.priority;
  if (!p) return undefined;
  if (p.parameter_choice === 'string_param') {
    if (!PRIORITY_NAMES.includes(p.string_param ?? '')) {
      throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `parameter 'priority' as a string must be high, normal or low`);
    }
    return p.string_param as Priority;
  }
  const level = integerParameter(params, 'priority', 'a priority level: 1 high, 2 normal, 3 low; 0 = default');
  if (!level) return undefined;
  return level === 1 ? 'high' : level === 2 ? 'normal' : 'low';
}

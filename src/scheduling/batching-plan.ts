/**
 * Whether a loaded model version batches, decided once from its signature and config. A model is batchable
 * when every input and output has a dynamic first dimension (-1): only then does row i of the outputs belong
 * to row i of the inputs, which is what merging and splitting rely on. Batching is on by default for batchable
 * models and off with max_batch_size: 0; asking for it on a model that cannot batch is a load error.
 */
import type { ModelConfig } from '../config/schema';
import { AmaasError } from '../errors';
import type { ModelSignature, TensorSpec } from '../repository/signature';

export interface BatchingPlan {
  readonly enabled: boolean;
  /** Most rows in one merged batch; 0 when batching is off. */
  readonly maxBatchSize: number;
  /**
   * Most rows one request may carry; 0 = no limit. Only an explicit max_batch_size limits requests: under the
   * default, a request bigger than the batch runs alone instead of failing.
   */
  readonly maxRequestRows: number;
  readonly maxQueueDelayMicroseconds: number;
  readonly preferredBatchSizes: readonly number[];
}

/** The first input or output without a dynamic first dimension; undefined when the model is batchable. */
export function firstUnbatchable(signature: ModelSignature): { kind: string; spec: TensorSpec } | undefined {
  const fixed = (s: TensorSpec) => s.shape.length === 0 || s.shape[0] >= 0;
  const input = signature.inputs.find(fixed);
  if (input) return { kind: 'input', spec: input };
  const output = signature.outputs.find(fixed);
  return output ? { kind: 'output', spec: output } : undefined;
}

export function isBatchable(signature: ModelSignature): boolean {
  return signature.inputs.length > 0 && firstUnbatchable(signature) === undefined;
}

/** The plan for one version; throws AMAAS_ERR_CONFIG_INVALID when the config asks a model that cannot batch to. */
export function planBatching(model: string, signature: ModelSignature, config: ModelConfig): BatchingPlan {
  const off: BatchingPlan = { enabled: false, maxBatchSize: 0, maxRequestRows: 0, maxQueueDelayMicroseconds: 0, preferredBatchSizes: [] };
  if (!isBatchable(signature)) {
    if (!config.batchingRequested) return off;
    const culprit = firstUnbatchable(signature);
    const why = culprit
      ? `${culprit.kind} '${culprit.spec.name}' has shape [${culprit.spec.shape.join(',')}], whose first dimension is not dynamic`
      : 'it has no inputs';
    throw new AmaasError(
      'AMAAS_ERR_CONFIG_INVALID',
      `model '${model}' cannot be batched (${why}; every input and output needs a dynamic first dimension), ` +
        `but its config asks for batching: remove dynamic_batching and set max_batch_size: 0`,
    );
  }
  if (config.maxBatchSize === 0) return off;
  return {
    enabled: true,
    maxBatchSize: config.maxBatchSize,
    maxRequestRows: config.maxBatchSizeSet ? config.maxBatchSize : 0,
    maxQueueDelayMicroseconds: config.maxQueueDelayMicroseconds,
    preferredBatchSizes: config.preferredBatchSizes,
  };
}

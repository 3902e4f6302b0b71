/** The batching config keys and the per-version plan: on by default for batchable models, off with 0, refused where impossible. */
import { AmaasError } from '../../../src/errors';
import { DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_QUEUE_DELAY_MICROSECONDS, resolveModelConfig } from '../../../src/config/schema';
import type { IoMetadata } from '../../../src/pool/messages';
import { signatureOf } from '../../../src/repository/signature';
import { isBatchable, planBatching } from '../../../src/scheduling/batching-plan';

const io = (name: string, shape: number[]): IoMetadata => ({ name, type: 'float32', shape });
const signature = (inputs: IoMetadata[], outputs: IoMetadata[]) =>
  signatureOf({ inputs, outputs, executionProvider: 'cpu', warnings: [] });

const batchable = signature([io('x', [-1, 4])], [io('y', [-1, 4])]);
const fixedInput = signature([io('x', [2, 3])], [io('y', [2, 3])]);
const fixedOutput = signature([io('x', [-1, 4])], [io('y', [5])]);
const scalar = signature([io('x', [])], [io('y', [])]);

function planError(sig: ReturnType<typeof signature>, raw: object): AmaasError {
  try {
    planBatching('m', sig, resolveModelConfig(raw));
  } catch (err) {
    return err as AmaasError;
  }
  throw new Error('expected a load error');
}

describe('isBatchable', () => {
  it('needs a dynamic first dimension on every input and output', () => {
    expect(isBatchable(batchable)).toBe(true);
    expect(isBatchable(fixedInput)).toBe(false);
    expect(isBatchable(fixedOutput)).toBe(false);
    expect(isBatchable(scalar)).toBe(false);
  });
});

describe('planBatching', () => {
  it('batches a batchable model by default, with the documented defaults and no request row limit', () => {
    expect(planBatching('m', batchable, resolveModelConfig({}))).toEqual({
      enabled: true,
      maxBatchSize: DEFAULT_MAX_BATCH_SIZE,
      maxRequestRows: 0,
      maxQueueDelayMicroseconds: DEFAULT_MAX_QUEUE_DELAY_MICROSECONDS,
      preferredBatchSizes: [],
    });
    expect(DEFAULT_MAX_QUEUE_DELAY_MICROSECONDS).toBe(0);
  });

  it('takes max_batch_size and the dynamic_batching block from the config; an explicit size also limits requests', () => {
    const plan = planBatching(
      'm',
      batchable,
      resolveModelConfig({ max_batch_size: 16, dynamic_batching: { max_queue_delay_microseconds: 2000, preferred_batch_sizes: [8, 4, 8] } }),
    );
    expect(plan).toEqual({ enabled: true, maxBatchSize: 16, maxRequestRows: 16, maxQueueDelayMicroseconds: 2000, preferredBatchSizes: [4, 8] });
  });

  it('turns batching off, and the row limit with it, for max_batch_size: 0', () => {
    expect(planBatching('m', batchable, resolveModelConfig({ max_batch_size: 0 }))).toMatchObject({ enabled: false, maxRequestRows: 0 });
  });

  it('leaves a model that cannot batch unbatched when the config does not ask', () => {
    expect(planBatching('m', fixedInput, resolveModelConfig({})).enabled).toBe(false);
    expect(planBatching('m', fixedInput, resolveModelConfig({ max_batch_size: 0 })).enabled).toBe(false);
  });

  it('refuses to load a model that cannot batch when the config asks for batching, naming the culprit', () => {
    const bySize = planError(fixedInput, { max_batch_size: 4 });
    expect(bySize.code).toBe('AMAAS_ERR_CONFIG_INVALID');
    expect(bySize.message).toMatch(/model 'm' cannot be batched \(input 'x' has shape \[2,3\]/);
    expect(planError(fixedOutput, { dynamic_batching: {} }).message).toMatch(/output 'y' has shape \[5\]/);
    expect(planError(scalar, { dynamic_batching: {} }).message).toMatch(/input 'x' has shape \[\]/);
  });
});

describe('batching keys in ModelConfigSchema', () => {
  it('refuses dynamic_batching together with max_batch_size: 0', () => {
    expect(() => resolveModelConfig({ max_batch_size: 0, dynamic_batching: {} })).toThrow(/dynamic_batching/);
  });

  it('refuses preferred sizes above max_batch_size (explicit or default) and unknown keys', () => {
    expect(() => resolveModelConfig({ max_batch_size: 8, dynamic_batching: { preferred_batch_sizes: [16] } })).toThrow(/16 is above max_batch_size 8/);
    expect(() => resolveModelConfig({ dynamic_batching: { preferred_batch_sizes: [64] } })).toThrow(/above max_batch_size 32/);
    expect(() => resolveModelConfig({ dynamic_batching: { max_delay: 5 } })).toThrow();
  });
});

describe('thread layout defaults', () => {
  it('keeps instances x intra_op_threads within the cores and spinning off', () => {
    for (const cores of [1, 2, 3, 8, 16]) {
      for (const instances of [1, 2, 3, 4]) {
        const c = resolveModelConfig({ instances }, cores);
        expect(c.intraOpThreads).toBeGreaterThanOrEqual(1);
        if (instances <= cores) expect(instances * c.intraOpThreads).toBeLessThanOrEqual(cores);
        expect(c.allowSpinning).toBe(false);
      }
    }
  });
});

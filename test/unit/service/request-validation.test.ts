import { DataTypeName, dataTypeByName } from '../../../src/codec/dtypes';
import type { Tensor } from '../../../src/codec/tensor-codec';
import { resolveModelConfig } from '../../../src/config/schema';
import type { SessionDescription } from '../../../src/pool/messages';
import type { ServingVersion } from '../../../src/repository/model-version';
import { signatureOf } from '../../../src/repository/signature';
import type { Scheduler } from '../../../src/scheduling/scheduler';
import { validateRequest } from '../../../src/service/request-validation';
import { expectAmaasError } from '../../helpers/expect-amaas-error';

const MODEL = 'mnist_like';
const dt = (name: DataTypeName) => dataTypeByName(name)!;

/** validateRequest never touches the scheduler; any use of it fails the test. */
const dummyScheduler: Scheduler = {
  submit: () => Promise.reject(new Error('validateRequest must not submit')),
  queued: 0,
  running: 0,
  bytesCopied: 0,
  stop: () => Promise.resolve(),
};

const description: SessionDescription = {
  inputs: [
    { name: 'image', type: 'float32', shape: [-1, 1, 28, 28] },
    { name: 'mask', type: 'bool', shape: [-1, 4] },
    { name: 'ids', type: 'int64', shape: [] },
  ],
  outputs: [
    { name: 'logits', type: 'float32', shape: [-1, 10] },
    { name: 'probs', type: 'float32', shape: [-1, 10] },
    { name: 'label', type: 'int64', shape: [-1] },
  ],
  executionProvider: 'cpu',
  warnings: [],
};

function servingVersion(maxBatchSize = 0): ServingVersion {
  return {
    model: MODEL,
    version: 1,
    signature: signatureOf(description),
    scheduler: dummyScheduler,
    config: resolveModelConfig({}),
    maxBatchSize,
  };
}

const tensor = (name: string, type: DataTypeName, shape: number[]): Tensor => ({ name, datatype: dt(type), shape, data: new Uint8Array(0) });
const image = (shape = [2, 1, 28, 28]) => tensor('image', 'FP32', shape);
const mask = (shape = [2, 4]) => tensor('mask', 'BOOL', shape);
const ids = (shape: number[] = [2, 3]) => tensor('ids', 'INT64', shape);
const allInputs = () => [image(), mask(), ids()];

const expectFailure = expectAmaasError;

describe('validateRequest: inputs', () => {
  const target = servingVersion();

  it('accepts a request that matches the signature, in any input order', () => {
    expect(() => validateRequest(target, allInputs(), [])).not.toThrow();
    expect(() => validateRequest(target, [ids(), mask(), image()], [])).not.toThrow();
  });

  it('rejects an unknown input, naming the model, the input and the known inputs', () => {
    const e = expectFailure(
      () => validateRequest(target, [...allInputs(), tensor('extra', 'FP32', [1])], []),
      'AMAAS_ERR_INPUT_UNKNOWN',
      `'${MODEL}'`,
      "'extra'",
    );
    expect(e.message).toContain('image');
    expect(e.message).toContain('mask');
  });

  it('rejects a duplicate input, naming the input', () => {
    // Note: the message names the tensor only, not the model (reported separately); the model is not asserted here.
    expectFailure(() => validateRequest(target, [image(), image(), mask(), ids()], []), 'AMAAS_ERR_INPUT_DUPLICATE', `'${MODEL}'`, "'image'");
  });

  it('rejects a missing input, naming the model and every missing input', () => {
    expectFailure(() => validateRequest(target, [image()], []), 'AMAAS_ERR_INPUT_MISSING', `'${MODEL}'`, "'mask'", "'ids'");
    expectFailure(() => validateRequest(target, [], []), 'AMAAS_ERR_INPUT_MISSING', `'${MODEL}'`, "'image'");
  });

  it('rejects a datatype mismatch, naming the model, the input and both datatypes', () => {
    expectFailure(
      () => validateRequest(target, [tensor('image', 'FP64', [2, 1, 28, 28]), mask(), ids()], []),
      'AMAAS_ERR_DATATYPE_MISMATCH',
      `'${MODEL}'`,
      "'image'",
      'FP32',
      'FP64',
    );
    expectFailure(
      () => validateRequest(target, [image(), tensor('mask', 'UINT8', [2, 4]), ids()], []),
      'AMAAS_ERR_DATATYPE_MISMATCH',
      `'${MODEL}'`,
      "'mask'",
    );
  });

  it('rejects a rank mismatch, naming the model and the input', () => {
    expectFailure(() => validateRequest(target, [image([2, 28, 28]), mask(), ids()], []), 'AMAAS_ERR_SHAPE_MISMATCH', `'${MODEL}'`, "'image'", '[2,28,28]');
    expectFailure(() => validateRequest(target, [image([2, 1, 28, 28, 1]), mask(), ids()], []), 'AMAAS_ERR_SHAPE_MISMATCH', "'image'");
    expectFailure(() => validateRequest(target, [image([]), mask(), ids()], []), 'AMAAS_ERR_SHAPE_MISMATCH', "'image'");
  });

  it('rejects a fixed-dimension mismatch, naming the model and the input', () => {
    expectFailure(() => validateRequest(target, [image([2, 3, 28, 28]), mask(), ids()], []), 'AMAAS_ERR_SHAPE_MISMATCH', `'${MODEL}'`, "'image'", '[-1,1,28,28]');
    expectFailure(() => validateRequest(target, [image(), mask([2, 5]), ids()], []), 'AMAAS_ERR_SHAPE_MISMATCH', `'${MODEL}'`, "'mask'");
  });

  it('accepts any size in a dynamic dimension', () => {
    for (const batch of [0, 1, 7, 1000]) {
      expect(() => validateRequest(target, [image([batch, 1, 28, 28]), mask([batch, 4]), ids()], [])).not.toThrow();
    }
  });

  it('accepts any shape for an input whose metadata shape is []', () => {
    for (const shape of [[], [1], [5, 6, 7], [0]]) {
      expect(() => validateRequest(target, [image(), mask(), ids(shape)], [])).not.toThrow();
    }
  });

  it('checks the unknown-input rule before the datatype of later inputs', () => {
    expectFailure(() => validateRequest(target, [tensor('nope', 'FP32', [1]), tensor('image', 'INT8', [1])], []), 'AMAAS_ERR_INPUT_UNKNOWN', "'nope'");
  });
});

describe('validateRequest: max_batch_size', () => {
  it('rejects a dynamic first dimension above the version maxBatchSize, naming the model and the input', () => {
    const target = servingVersion(4);
    expect(() => validateRequest(target, [image([4, 1, 28, 28]), mask([4, 4]), ids()], [])).not.toThrow();
    expectFailure(
      () => validateRequest(target, [image([5, 1, 28, 28]), mask([5, 4]), ids()], []),
      'AMAAS_ERR_SHAPE_MISMATCH',
      `'${MODEL}'`,
      "'image'",
      'max_batch_size',
    );
  });

  it('does not limit the batch when the version has maxBatchSize 0', () => {
    const target = servingVersion(0);
    expect(() => validateRequest(target, [image([100000, 1, 28, 28]), mask([100000, 4]), ids()], [])).not.toThrow();
  });
});

describe('validateRequest: requested outputs', () => {
  const target = servingVersion();

  it('returns every output in model order when none are requested', () => {
    expect(validateRequest(target, allInputs(), [])).toEqual(['logits', 'probs', 'label']);
  });

  it('returns the requested outputs in the requested order', () => {
    expect(validateRequest(target, allInputs(), ['label', 'logits'])).toEqual(['label', 'logits']);
    expect(validateRequest(target, allInputs(), ['probs'])).toEqual(['probs']);
  });

  it('rejects an unknown output, naming the model, the output and the known outputs', () => {
    const e = expectFailure(() => validateRequest(target, allInputs(), ['logits', 'scores']), 'AMAAS_ERR_OUTPUT_UNKNOWN', `'${MODEL}'`, "'scores'");
    expect(e.message).toContain('logits, probs, label');
  });

  it('rejects an output requested twice, naming the output', () => {
    expectFailure(() => validateRequest(target, allInputs(), ['probs', 'probs']), 'AMAAS_ERR_INVALID_REQUEST', `'${MODEL}'`, "'probs'");
  });

  it('validates inputs before outputs', () => {
    expectFailure(() => validateRequest(target, [image()], ['scores']), 'AMAAS_ERR_INPUT_MISSING');
  });
});

describe('signatureOf', () => {
  it('maps onnxruntime types to datatypes and keeps shapes and order', () => {
    const sig = signatureOf(description);
    expect(sig.inputs.map((s) => [s.name, s.datatype.name, s.shape])).toEqual([
      ['image', 'FP32', [-1, 1, 28, 28]],
      ['mask', 'BOOL', [-1, 4]],
      ['ids', 'INT64', []],
    ]);
    expect(sig.outputNames).toEqual(['logits', 'probs', 'label']);
    expect(sig.inputsByName.get('mask')).toBe(sig.inputs[1]);
    expect(sig.outputsByName.get('label')).toBe(sig.outputs[2]);
  });

  it('refuses a model with a type amaas cannot serve, naming the tensor and the type', () => {
    const bad: SessionDescription = { ...description, outputs: [{ name: 'seq', type: 'non-tensor', shape: [] }] };
    expectFailure(() => signatureOf(bad), 'AMAAS_ERR_MODEL_LOAD_FAILED', "'seq'", 'non-tensor');
    const bf16: SessionDescription = { ...description, inputs: [{ name: 'x', type: 'bfloat16', shape: [1] }] };
    expectFailure(() => signatureOf(bf16), 'AMAAS_ERR_MODEL_LOAD_FAILED', "'x'", 'bfloat16');
  });
});

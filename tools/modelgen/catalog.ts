import { ElemType, OnnxModelBuilder, attr } from './onnx-builder';
import { Prng } from './prng';

export interface BuiltModel {
  bytes: Uint8Array;
  /** Optional repository config to write next to the model (config.json). */
  config?: Record<string, unknown>;
}

export interface ModelDefinition {
  description: string;
  build: () => BuiltModel;
}

/** Short dtype names used in `identity_<dtype>` model names. */
export const IDENTITY_DTYPES = [
  'fp32',
  'fp64',
  'fp16',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
  'string',
] as const;
export type IdentityDtype = (typeof IDENTITY_DTYPES)[number];

export const IDENTITY_ELEM_TYPES: Readonly<Record<IdentityDtype, ElemType>> = {
  fp32: 'float32',
  fp64: 'float64',
  fp16: 'float16',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
  uint64: 'uint64',
  bool: 'bool',
  string: 'string',
};

function builder(name: string, doc: string): OnnxModelBuilder {
  return new OnnxModelBuilder({ graphName: name, docString: doc });
}

function affine(name: string, doc: string, mul: number, add: number): BuiltModel {
  const b = builder(name, doc)
    .addInput('x', 'float32', ['batch', 4])
    .addInitializer('mul_const', 'float32', [], [mul])
    .addInitializer('add_const', 'float32', [], [add])
    .addNode('Mul', ['x', 'mul_const'], ['scaled'])
    .addNode('Add', ['scaled', 'add_const'], ['y'])
    .addOutput('y', 'float32', ['batch', 4]);
  return { bytes: b.toBytes() };
}

interface DenseLayer {
  units: number;
  relu: boolean;
}

/**
 * Gemm(+Relu) stack. Weights are [in, out] (transB=0). Each model passes its
 * own seed, so adding layers to one model never shifts another's weights.
 */
function gemmStack(
  name: string,
  doc: string,
  seed: number,
  inputDim: number,
  layers: readonly DenseLayer[],
  outputName: string,
  weightBound: (fanIn: number) => number,
  biasBound: number,
): BuiltModel {
  const rng = new Prng(seed);
  const b = builder(name, doc).addInput('x', 'float32', ['batch', inputDim]);
  let prev = 'x';
  let fanIn = inputDim;
  layers.forEach((layer, i) => {
    const last = i === layers.length - 1;
    const w = `fc${i}.weight`;
    const bias = `fc${i}.bias`;
    const wb = weightBound(fanIn);
    b.addInitializer(w, 'float32', [fanIn, layer.units], rng.float32Array(fanIn * layer.units, -wb, wb));
    b.addInitializer(bias, 'float32', [layer.units], rng.float32Array(layer.units, -biasBound, biasBound));
    const gemmOut = last && !layer.relu ? outputName : `fc${i}.out`;
    b.addNode('Gemm', [prev, w, bias], [gemmOut], { transB: attr.int(0) });
    prev = gemmOut;
    if (layer.relu) {
      const reluOut = last ? outputName : `relu${i}.out`;
      b.addNode('Relu', [gemmOut], [reluOut]);
      prev = reluOut;
    }
    fanIn = layer.units;
  });
  b.addOutput(outputName, 'float32', ['batch', fanIn]);
  return { bytes: b.toBytes() };
}

// He-uniform keeps activation scale roughly constant through deep Relu stacks.
const heUniform = (fanIn: number): number => Math.sqrt(6 / fanIn);

/**
 * Reflect-pads a [batch, samples] waveform by `pad` on both ends of the samples axis, as voice-activity
 * detectors do before a convolution. onnxruntime refuses reflect padding unless the axis is longer than `pad`
 * (and at least 2), so the model loads but fails at run time for short inputs.
 */
function reflectPad(name: string, pad: number): BuiltModel {
  const b = builder(name, `y = Pad(x, ${pad} each side of axis 1, mode reflect)`)
    .addInput('x', 'float32', ['batch', 'samples'])
    .addInitializer('pads', 'int64', [4], [0n, BigInt(pad), 0n, BigInt(pad)])
    .addNode('Pad', ['x', 'pads'], ['y'], { mode: attr.string('reflect') })
    .addOutput('y', 'float32', ['batch', 'padded']);
  return { bytes: b.toBytes() };
}

function identityModel(dtype: IdentityDtype): BuiltModel {
  const t = IDENTITY_ELEM_TYPES[dtype];
  const b = builder(`identity_${dtype}`, `y = Identity(x) for ${t}`)
    .addInput('x', t, ['d0', 'd1'])
    .addNode('Identity', ['x'], ['y'])
    .addOutput('y', t, ['d0', 'd1']);
  return { bytes: b.toBytes() };
}

const definitions: Record<string, ModelDefinition> = {
  scale: {
    description: 'x FP32 [batch,4] -> y = 2*x + 1',
    build: () => affine('scale', 'y = 2*x + 1', 2, 1),
  },
  scale_v2: {
    description: 'x FP32 [batch,4] -> y = 3*x + 1 (version 2 of scale)',
    build: () => affine('scale', 'y = 3*x + 1', 3, 1),
  },
  mlp: {
    description: 'x FP32 [batch,64] -> Gemm 32 + Relu -> Gemm 10 -> logits',
    build: () =>
      gemmStack(
        'mlp',
        '64 -> 32 (Relu) -> 10 MLP with fixed pseudo-random weights',
        0x5eed0001,
        64,
        [
          { units: 32, relu: true },
          { units: 10, relu: false },
        ],
        'logits',
        () => 0.1,
        0.1,
      ),
  },
  multi_io: {
    description: 'a, b FP32 [batch,3] -> sum = a+b, product = a*b',
    build: () => {
      const b = builder('multi_io', 'sum = a + b; product = a * b')
        .addInput('a', 'float32', ['batch', 3])
        .addInput('b', 'float32', ['batch', 3])
        .addNode('Add', ['a', 'b'], ['sum'])
        .addNode('Mul', ['a', 'b'], ['product'])
        .addOutput('sum', 'float32', ['batch', 3])
        .addOutput('product', 'float32', ['batch', 3]);
      return { bytes: b.toBytes() };
    },
  },
  int64_ops: {
    description: 'ids INT64 [batch,len] -> doubled = ids*2 (INT64), as_float = float(ids)',
    build: () => {
      const b = builder('int64_ops', 'doubled = ids * 2; as_float = Cast<float>(ids)')
        .addInput('ids', 'int64', ['batch', 'len'])
        .addInitializer('two', 'int64', [], [2n])
        .addNode('Mul', ['ids', 'two'], ['doubled'])
        .addNode('Cast', ['ids'], ['as_float'], { to: attr.int(1) })
        .addOutput('doubled', 'int64', ['batch', 'len'])
        .addOutput('as_float', 'float32', ['batch', 'len']);
      return { bytes: b.toBytes() };
    },
  },
  bool_not: {
    description: 'mask BOOL [n] -> inverted = Not(mask)',
    build: () => {
      const b = builder('bool_not', 'inverted = Not(mask)')
        .addInput('mask', 'bool', ['n'])
        .addNode('Not', ['mask'], ['inverted'])
        .addOutput('inverted', 'bool', ['n']);
      return { bytes: b.toBytes() };
    },
  },
  string_echo: {
    description: 'text STRING [n] -> text_out = Identity(text)',
    build: () => {
      const b = builder('string_echo', 'text_out = Identity(text)')
        .addInput('text', 'string', ['n'])
        .addNode('Identity', ['text'], ['text_out'])
        .addOutput('text_out', 'string', ['n']);
      return { bytes: b.toBytes() };
    },
  },
  scalar_add: {
    description: 'x FP32 scalar (rank 0) -> y = x + 1',
    build: () => {
      const b = builder('scalar_add', 'y = x + 1 on rank-0 tensors')
        .addInput('x', 'float32', [])
        .addInitializer('one', 'float32', [], [1])
        .addNode('Add', ['x', 'one'], ['y'])
        .addOutput('y', 'float32', []);
      return { bytes: b.toBytes() };
    },
  },
  fixed_shape: {
    description: 'x FP32 [2,3] (static) -> y = x * x',
    build: () => {
      const b = builder('fixed_shape', 'y = x * x with a static [2,3] shape')
        .addInput('x', 'float32', [2, 3])
        .addNode('Mul', ['x', 'x'], ['y'])
        .addOutput('y', 'float32', [2, 3]);
      return { bytes: b.toBytes() };
    },
  },
  runtime_failure: {
    description: 'x FP32 [batch,4] -> Reshape to [5]: loads, but every run fails',
    build: () => {
      // 4*batch elements can never fill a [5] tensor, and the symbolic batch
      // keeps the error out of load-time shape inference.
      const b = builder('runtime_failure', 'Reshape of [batch,4] to [5]; fails at run time by design')
        .addInput('x', 'float32', ['batch', 4])
        .addInitializer('target_shape', 'int64', [1], [5n])
        .addNode('Reshape', ['x', 'target_shape'], ['y'])
        .addOutput('y', 'float32', [5]);
      return { bytes: b.toBytes() };
    },
  },
  reflect_pad: {
    description: 'x FP32 [batch,samples] -> reflect Pad 1 each side of samples: fails for 1 sample, runs for 2 or more',
    build: () => reflectPad('reflect_pad', 1),
  },
  reflect_pad_wide: {
    description: 'x FP32 [batch,samples] -> reflect Pad 20 each side of samples: fails for 20 samples or fewer',
    build: () => reflectPad('reflect_pad_wide', 20),
  },
  slow_mlp: {
    description: 'x FP32 [batch,512] -> 8 x (MatMul 512x512 + Relu) -> y',
    build: () => {
      const rng = new Prng(0x5eed0002);
      const b = builder('slow_mlp', '8 x (MatMul 512x512 + Relu); deliberately compute-heavy').addInput(
        'x',
        'float32',
        ['batch', 512],
      );
      let prev = 'x';
      const bound = heUniform(512);
      for (let i = 0; i < 8; i++) {
        const w = `layer${i}.weight`;
        b.addInitializer(w, 'float32', [512, 512], rng.float32Array(512 * 512, -bound, bound));
        b.addNode('MatMul', [prev, w], [`layer${i}.matmul`]);
        prev = i === 7 ? 'y' : `layer${i}.relu`;
        b.addNode('Relu', [`layer${i}.matmul`], [prev]);
      }
      b.addOutput('y', 'float32', ['batch', 512]);
      return { bytes: b.toBytes() };
    },
  },
  heavy_fixed: {
    description: 'x FP32 [1,1024] (static) -> 96 x (MatMul 1024x1024 + Tanh), one shared weight -> y',
    build: () => {
      // Compute-heavy with small messages, and not batchable (static first dimension): its capacity is low
      // enough that a client on the same machine can offer 10 x of it (bench/overload.ts). The 96 layers
      // share one weight, so the file stays at 4 MiB.
      const rng = new Prng(0x5eed0005);
      const b = builder('heavy_fixed', '96 x (MatMul 1024x1024 + Tanh) sharing one weight; static shape [1,1024]').addInput('x', 'float32', [1, 1024]);
      // Variance-preserving scale (uniform bound sqrt(3/fan_in)), so activations survive 32 tanh layers.
      const bound = Math.sqrt(3 / 1024);
      b.addInitializer('weight', 'float32', [1024, 1024], rng.float32Array(1024 * 1024, -bound, bound));
      let prev = 'x';
      for (let i = 0; i < 96; i++) {
        b.addNode('MatMul', [prev, 'weight'], [`layer${i}.matmul`]);
        prev = i === 95 ? 'y' : `layer${i}.tanh`;
        b.addNode('Tanh', [`layer${i}.matmul`], [prev]);
      }
      b.addOutput('y', 'float32', [1, 1024]);
      return { bytes: b.toBytes() };
    },
  },
  mlp_large: {
    description: 'x FP32 [batch,512] -> 2048 -> 2048 -> 512 -> 10 logits (~6.3M params)',
    build: () =>
      gemmStack(
        'mlp_large',
        '512 -> 2048 -> 2048 -> 512 -> 10 MLP with fixed pseudo-random weights',
        0x5eed0003,
        512,
        [
          { units: 2048, relu: true },
          { units: 2048, relu: true },
          { units: 512, relu: true },
          { units: 10, relu: false },
        ],
        'logits',
        heUniform,
        0.01,
      ),
  },
  mlp_small: {
    description: 'x FP32 [batch,64] -> 256 -> 256 -> 10 logits (~85k params)',
    build: () =>
      gemmStack(
        'mlp_small',
        '64 -> 256 -> 256 -> 10 MLP with fixed pseudo-random weights',
        0x5eed0004,
        64,
        [
          { units: 256, relu: true },
          { units: 256, relu: true },
          { units: 10, relu: false },
        ],
        'logits',
        heUniform,
        0.01,
      ),
  },
};

for (const dtype of IDENTITY_DTYPES) {
  definitions[`identity_${dtype}`] = {
    description: `x ${IDENTITY_ELEM_TYPES[dtype]} [d0,d1] -> y = Identity(x)`,
    build: () => identityModel(dtype),
  };
}

/** Every named model definition. */
export const CATALOG: Readonly<Record<string, ModelDefinition>> = Object.freeze(definitions);

export const MODEL_NAMES: readonly string[] = Object.freeze(Object.keys(CATALOG));

export function hasModel(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(CATALOG, name);
}

export function buildModel(name: string): BuiltModel {
  if (!hasModel(name)) {
    throw new Error(`unknown model "${name}"; known: ${MODEL_NAMES.join(', ')}`);
  }
  return CATALOG[name].build();
}

export function buildModelBytes(name: string): Uint8Array {
  return buildModel(name).bytes;
}

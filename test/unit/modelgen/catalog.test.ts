import './jest-realm';
import {
  CATALOG,
  IDENTITY_DTYPES,
  IDENTITY_ELEM_TYPES,
  MODEL_NAMES,
  buildModel,
  buildModelBytes,
  hasModel,
} from '../../../tools/modelgen/catalog';
import { createSession, expectClose, float32Initializers, matmul, ort, relu } from './ort-helpers';

type Session = ort.InferenceSession;

const cache = new Map<string, Uint8Array>();
function bytesOf(name: string): Uint8Array {
  let b = cache.get(name);
  if (!b) {
    b = buildModelBytes(name);
    cache.set(name, b);
  }
  return b;
}

async function withSession<T>(name: string, fn: (s: Session) => Promise<T>): Promise<T> {
  const s = await createSession(bytesOf(name));
  try {
    return await fn(s);
  } finally {
    await s.release();
  }
}

function f32(data: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', Float32Array.from(data), dims);
}

const REQUIRED = [
  'scale',
  'scale_v2',
  'mlp',
  'multi_io',
  'int64_ops',
  'bool_not',
  'string_echo',
  'scalar_add',
  'fixed_shape',
  'runtime_failure',
  'reflect_pad',
  'reflect_pad_wide',
  'slow_mlp',
  'heavy_fixed',
  'mlp_large',
  'mlp_small',
  ...IDENTITY_DTYPES.map((d) => `identity_${d}`),
];

describe('catalog', () => {
  it('has exactly the documented models', () => {
    expect([...MODEL_NAMES].sort()).toEqual([...REQUIRED].sort());
    for (const n of REQUIRED) expect(hasModel(n)).toBe(true);
    expect(hasModel('nope')).toBe(false);
    expect(hasModel('toString')).toBe(false);
    expect(() => buildModel('nope')).toThrow(/unknown model "nope"/);
    for (const n of MODEL_NAMES) expect(CATALOG[n].description.length).toBeGreaterThan(0);
  });

  it.each(MODEL_NAMES.filter((n) => n !== 'mlp_large'))('%s builds deterministically', (name) => {
    const again = buildModel(name).bytes;
    expect(Buffer.from(again).equals(Buffer.from(bytesOf(name)))).toBe(true);
  });

  it.each(MODEL_NAMES.filter((n) => n !== 'mlp_large'))('%s loads in onnxruntime', async (name) => {
    await withSession(name, async (s) => {
      expect(s.inputNames.length).toBeGreaterThan(0);
      expect(s.outputNames.length).toBeGreaterThan(0);
    });
  });

  it('exposes metadata as onnxruntime-node reports it', async () => {
    await withSession('int64_ops', async (s) => {
      expect(s.inputNames).toEqual(['ids']);
      expect(s.outputNames).toEqual(['doubled', 'as_float']);
      expect(s.inputMetadata).toEqual([{ name: 'ids', isTensor: true, type: 'int64', shape: ['batch', 'len'] }]);
      expect(s.outputMetadata).toEqual([
        { name: 'doubled', isTensor: true, type: 'int64', shape: ['batch', 'len'] },
        { name: 'as_float', isTensor: true, type: 'float32', shape: ['batch', 'len'] },
      ]);
    });
    await withSession('fixed_shape', async (s) => {
      expect(s.inputMetadata).toEqual([{ name: 'x', isTensor: true, type: 'float32', shape: [2, 3] }]);
    });
    await withSession('scalar_add', async (s) => {
      expect(s.inputMetadata).toEqual([{ name: 'x', isTensor: true, type: 'float32', shape: [] }]);
      expect(s.outputMetadata).toEqual([{ name: 'y', isTensor: true, type: 'float32', shape: [] }]);
    });
  });

  it('scale computes 2x + 1 exactly; scale_v2 computes 3x + 1', async () => {
    const x = [0, 1, -2, 3.5, 10, -0.25, 100, 7];
    await withSession('scale', async (s) => {
      const r = await s.run({ x: f32(x, [2, 4]) });
      expect(r.y.dims).toEqual([2, 4]);
      expect(r.y.type).toBe('float32');
      expect(Array.from(r.y.data as Float32Array)).toEqual(x.map((v) => 2 * v + 1));
    });
    await withSession('scale_v2', async (s) => {
      const r = await s.run({ x: f32(x, [2, 4]) });
      expect(Array.from(r.y.data as Float32Array)).toEqual(x.map((v) => 3 * v + 1));
    });
  });

  it('mlp matches a float64 reference computed from its own initializers', async () => {
    const w = float32Initializers(bytesOf('mlp'));
    expect(w.get('fc0.weight')!.dims).toEqual([64, 32]);
    expect(w.get('fc1.weight')!.dims).toEqual([32, 10]);
    for (const t of w.values()) for (const v of t.data) expect(Math.abs(v)).toBeLessThanOrEqual(0.1);
    const batch = 3;
    const x = Array.from({ length: batch * 64 }, (_, i) => Math.sin(i) * 2);
    const h = relu(matmul(x, batch, w.get('fc0.weight')!.data, 64, 32, w.get('fc0.bias')!.data));
    const ref = matmul(h, batch, w.get('fc1.weight')!.data, 32, 10, w.get('fc1.bias')!.data);
    await withSession('mlp', async (s) => {
      expect(s.outputNames).toEqual(['logits']);
      const r = await s.run({ x: f32(x, [batch, 64]) });
      expect(r.logits.dims).toEqual([batch, 10]);
      expectClose(r.logits.data as Float32Array, ref, 1e-5);
    });
  });

  it('mlp_small has ~85k parameters and matches its reference', async () => {
    const w = float32Initializers(bytesOf('mlp_small'));
    let params = 0;
    for (const t of w.values()) params += t.data.length;
    expect(params).toBe(64 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10);
    const x = Array.from({ length: 2 * 64 }, (_, i) => Math.cos(i));
    let h = relu(matmul(x, 2, w.get('fc0.weight')!.data, 64, 256, w.get('fc0.bias')!.data));
    h = relu(matmul(h, 2, w.get('fc1.weight')!.data, 256, 256, w.get('fc1.bias')!.data));
    const ref = matmul(h, 2, w.get('fc2.weight')!.data, 256, 10, w.get('fc2.bias')!.data);
    await withSession('mlp_small', async (s) => {
      const r = await s.run({ x: f32(x, [2, 64]) });
      expect(r.logits.dims).toEqual([2, 10]);
      expectClose(r.logits.data as Float32Array, ref, 1e-4);
    });
  });

  it('slow_mlp is 8 x (MatMul 512x512 + Relu) and matches its reference', async () => {
    const w = float32Initializers(bytesOf('slow_mlp'));
    expect([...w.keys()]).toEqual(Array.from({ length: 8 }, (_, i) => `layer${i}.weight`));
    const x = Array.from({ length: 512 }, (_, i) => Math.sin(i * 0.1));
    let h: ArrayLike<number> = x;
    for (let i = 0; i < 8; i++) h = relu(matmul(h, 1, w.get(`layer${i}.weight`)!.data, 512, 512));
    await withSession('slow_mlp', async (s) => {
      const r = await s.run({ x: f32(x, [1, 512]) });
      expect(r.y.dims).toEqual([1, 512]);
      expectClose(r.y.data as Float32Array, h, 1e-4);
      // Non-degenerate: activations neither vanish nor all die.
      expect(Array.from(r.y.data as Float32Array).filter((v) => v > 0).length).toBeGreaterThan(50);
    });
  });

  it('heavy_fixed is 96 x (MatMul + Tanh) with one shared 1024x1024 weight, static shape, and matches its reference', async () => {
    const w = float32Initializers(bytesOf('heavy_fixed'));
    expect([...w.keys()]).toEqual(['weight']);
    const x = Array.from({ length: 1024 }, (_, i) => Math.cos(i * 0.01));
    let h: ArrayLike<number> = x;
    for (let i = 0; i < 96; i++) h = Array.from(matmul(h, 1, w.get('weight')!.data, 1024, 1024), Math.tanh);
    await withSession('heavy_fixed', async (s) => {
      expect(s.inputMetadata).toEqual([{ name: 'x', isTensor: true, type: 'float32', shape: [1, 1024] }]);
      const r = await s.run({ x: f32(x, [1, 1024]) });
      expect(r.y.dims).toEqual([1, 1024]);
      expectClose(r.y.data as Float32Array, h, 1e-4);
      // Non-degenerate after 96 layers: outputs neither vanish nor saturate.
      const mags = Array.from(r.y.data as Float32Array, Math.abs);
      expect(mags.filter((v) => v > 1e-3 && v < 0.999).length).toBeGreaterThan(500);
    });
  });

  it('mlp_large builds (~6.3M params) and runs', async () => {
    const bytes = buildModelBytes('mlp_large');
    expect(bytes.length).toBeGreaterThan(25_000_000);
    expect(bytes.length).toBeLessThan(25_400_000);
    const s = await createSession(bytes);
    try {
      expect(s.inputMetadata).toEqual([{ name: 'x', isTensor: true, type: 'float32', shape: ['batch', 512] }]);
      const r = await s.run({ x: f32(new Array(512).fill(0.1), [1, 512]) });
      expect(r.logits.dims).toEqual([1, 10]);
    } finally {
      await s.release();
    }
  });

  it('multi_io returns sum and product', async () => {
    const a = [1, 2, 3, -1, 0.5, 4];
    const b = [10, -2, 0.5, 3, 8, 0.25];
    await withSession('multi_io', async (s) => {
      expect(s.inputNames).toEqual(['a', 'b']);
      expect(s.outputNames).toEqual(['sum', 'product']);
      const r = await s.run({ a: f32(a, [2, 3]), b: f32(b, [2, 3]) });
      expect(Array.from(r.sum.data as Float32Array)).toEqual(a.map((v, i) => v + b[i]));
      expect(Array.from(r.product.data as Float32Array)).toEqual(a.map((v, i) => v * b[i]));
      expect(r.sum.dims).toEqual([2, 3]);
    });
  });

  it('int64_ops doubles exactly and casts to float', async () => {
    const ids = [0n, 1n, -7n, 2n ** 40n + 3n, 123456789n, -(2n ** 52n)];
    await withSession('int64_ops', async (s) => {
      const r = await s.run({ ids: new ort.Tensor('int64', BigInt64Array.from(ids), [2, 3]) });
      expect(r.doubled.type).toBe('int64');
      expect(r.doubled.dims).toEqual([2, 3]);
      expect(Array.from(r.doubled.data as BigInt64Array)).toEqual(ids.map((v) => v * 2n));
      expect(r.as_float.type).toBe('float32');
      expect(Array.from(r.as_float.data as Float32Array)).toEqual(ids.map((v) => Math.fround(Number(v))));
    });
  });

  it('bool_not inverts', async () => {
    await withSession('bool_not', async (s) => {
      const r = await s.run({ mask: new ort.Tensor('bool', Uint8Array.from([1, 0, 0, 1, 1]), [5]) });
      expect(r.inverted.type).toBe('bool');
      expect(Array.from(r.inverted.data as Uint8Array).map(Boolean)).toEqual([false, true, true, false, false]);
    });
  });

  it('string_echo echoes strings, including empty and non-ASCII', async () => {
    const text = ['hello', '', 'ünïcödé ✓', 'two words'];
    await withSession('string_echo', async (s) => {
      const r = await s.run({ text: new ort.Tensor('string', text, [text.length]) });
      expect(r.text_out.type).toBe('string');
      expect(Array.from(r.text_out.data as string[])).toEqual(text);
    });
  });

  it('scalar_add takes and returns rank-0 tensors', async () => {
    await withSession('scalar_add', async (s) => {
      const r = await s.run({ x: f32([41.5], []) });
      expect(r.y.dims).toEqual([]);
      expect(Array.from(r.y.data as Float32Array)).toEqual([42.5]);
    });
  });

  it('fixed_shape squares and enforces its static shape', async () => {
    const x = [1, -2, 3, 0.5, 0, -1.5];
    await withSession('fixed_shape', async (s) => {
      const r = await s.run({ x: f32(x, [2, 3]) });
      expect(Array.from(r.y.data as Float32Array)).toEqual(x.map((v) => v * v));
      await expect(s.run({ x: f32(x, [3, 2]) })).rejects.toThrow(/invalid dimensions|Got/i);
    });
  });

  it('runtime_failure loads but every run rejects', async () => {
    await withSession('runtime_failure', async (s) => {
      for (const batch of [1, 2, 3]) {
        await expect(s.run({ x: f32(new Array(batch * 4).fill(1), [batch, 4]) })).rejects.toThrow(/Reshape/);
      }
    });
  });

  it('reflect_pad fails for 1 sample and runs for 16; reflect_pad_wide fails for 1, 16 and 20 and runs for 21', async () => {
    const ramp = (n: number) => Array.from({ length: n }, (_, i) => i);
    await withSession('reflect_pad', async (s) => {
      await expect(s.run({ x: f32([0], [1, 1]) })).rejects.toThrow(/Pad/);
      const r = await s.run({ x: f32(ramp(16), [1, 16]) });
      expect(r.y.dims).toEqual([1, 18]);
      expect(Array.from(r.y.data as Float32Array)).toEqual([1, ...ramp(16), 14]);
    });
    await withSession('reflect_pad_wide', async (s) => {
      for (const n of [1, 16, 20]) await expect(s.run({ x: f32(ramp(n), [1, n]) })).rejects.toThrow(/Pad/);
      const r = await s.run({ x: f32(ramp(21), [1, 21]) });
      expect(r.y.dims).toEqual([1, 61]);
      expect(Array.from(r.y.data as Float32Array).slice(0, 22)).toEqual([...ramp(21).slice(1).reverse(), 0, 1]);
    });
  });

  const identityCases: Record<string, () => { tensor: ort.Tensor; expected: unknown[] }> = {
    fp32: () => {
      const v = [0, -0, 1.5, -3.25, 3.4028234663852886e38, 1e-45, Infinity, NaN];
      return { tensor: new ort.Tensor('float32', Float32Array.from(v), [2, 4]), expected: Array.from(Float32Array.from(v)) };
    },
    fp64: () => {
      const v = [Math.PI, -0, 1e308, 5e-324, -Infinity, NaN];
      return { tensor: new ort.Tensor('float64', Float64Array.from(v), [3, 2]), expected: v };
    },
    fp16: () => {
      // Half-precision bit patterns: 1, -2, +inf, smallest subnormal, NaN, max finite.
      const v = [0x3c00, 0xc000, 0x7c00, 0x0001, 0x7e00, 0x7bff];
      return { tensor: new ort.Tensor('float16', Uint16Array.from(v), [2, 3]), expected: v };
    },
    int8: () => {
      const v = [-128, 127, 0, -1];
      return { tensor: new ort.Tensor('int8', Int8Array.from(v), [2, 2]), expected: v };
    },
    int16: () => {
      const v = [-32768, 32767, 0, -1];
      return { tensor: new ort.Tensor('int16', Int16Array.from(v), [1, 4]), expected: v };
    },
    int32: () => {
      const v = [-2147483648, 2147483647, 0, -1];
      return { tensor: new ort.Tensor('int32', Int32Array.from(v), [4, 1]), expected: v };
    },
    int64: () => {
      const v = [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n];
      return { tensor: new ort.Tensor('int64', BigInt64Array.from(v), [2, 2]), expected: v };
    },
    uint8: () => {
      const v = [0, 255, 128, 1];
      return { tensor: new ort.Tensor('uint8', Uint8Array.from(v), [2, 2]), expected: v };
    },
    uint16: () => {
      const v = [0, 65535, 32768, 1];
      return { tensor: new ort.Tensor('uint16', Uint16Array.from(v), [2, 2]), expected: v };
    },
    uint32: () => {
      const v = [0, 4294967295, 2147483648, 1];
      return { tensor: new ort.Tensor('uint32', Uint32Array.from(v), [2, 2]), expected: v };
    },
    uint64: () => {
      const v = [0n, 2n ** 64n - 1n, 2n ** 63n, 1n];
      return { tensor: new ort.Tensor('uint64', BigUint64Array.from(v), [2, 2]), expected: v };
    },
    bool: () => {
      const v = [1, 0, 0, 1, 1, 0];
      return { tensor: new ort.Tensor('bool', Uint8Array.from(v), [3, 2]), expected: v };
    },
    string: () => {
      const v = ['a', '', 'ß∂ƒ', 'long '.repeat(50)];
      return { tensor: new ort.Tensor('string', v, [2, 2]), expected: v };
    },
  };

  it.each([...IDENTITY_DTYPES])('identity_%s round-trips exact values', async (dtype) => {
    const { tensor, expected } = identityCases[dtype]();
    const type = IDENTITY_ELEM_TYPES[dtype];
    await withSession(`identity_${dtype}`, async (s) => {
      expect(s.inputMetadata).toEqual([{ name: 'x', isTensor: true, type, shape: ['d0', 'd1'] }]);
      expect(s.outputMetadata).toEqual([{ name: 'y', isTensor: true, type, shape: ['d0', 'd1'] }]);
      const r = await s.run({ x: tensor });
      expect(r.y.type).toBe(type);
      expect(r.y.dims).toEqual(tensor.dims);
      expect(Array.from(r.y.data as ArrayLike<unknown>)).toEqual(expected);
    });
  });
});

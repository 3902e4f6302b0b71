/**
 * The direct request decoder against proto-loader's own deserializer, on bytes protobufjs encodes from the
 * served .proto files: every field of every inference request type, every datatype, packed and unpacked
 * repeated scalars, unknown fields of every wire type, maps, oneofs, 64-bit extremes, empty, truncated and
 * garbage messages.
 */
import * as protobuf from 'protobufjs';
import { decodePredictRequest } from '../../../src/api/amaas-v1/predict-wire';
import { protobufRoot } from '../../../src/api/direct-encoding';
import { decodeInferRequest } from '../../../src/api/kserve/infer-wire';
import { amaasV1Service, inferenceService } from '../../../src/api/protos';
import { requestDecoder, throwIfMalformed, withDirectRequestDecoding } from '../../../src/api/wire-decoder';
import { DATA_TYPES, dataTypeToWire } from '../../../src/codec/dtypes';
import { AmaasError } from '../../../src/errors';

const REQUESTS = {
  'amaas.v1.PredictRequest': amaasV1Service().service.Predict,
  'amaas.v1.BatchPredictRequest': amaasV1Service().service.BatchPredict,
  'inference.ModelInferRequest': inferenceService().service.ModelInfer,
} as const;
type RequestType = keyof typeof REQUESTS;

const type = (name: string) => protobufRoot().lookupType(name);
const protoLoader = (name: RequestType, bytes: Buffer) => REQUESTS[name].requestDeserialize(bytes) as object;
const decoders = new Map<string, (b: Buffer) => object>();
const direct = (name: RequestType, bytes: Buffer) => {
  if (!decoders.has(name)) decoders.set(name, requestDecoder(name));
  return decoders.get(name)!(bytes);
};
const encode = (name: string, message: object) => Buffer.from(type(name).encode(type(name).fromObject(message)).finish());

/** The two decoders agree on these bytes, and the direct one found them well formed. */
function agree(name: RequestType, bytes: Buffer): object {
  const mine = direct(name, bytes);
  expect(() => throwIfMalformed(mine)).not.toThrow();
  expect(mine).toStrictEqual(protoLoader(name, bytes));
  return mine;
}

/** The direct decoder's refusal of malformed bytes (the AmaasError the handler throws). */
function refusal(name: RequestType, bytes: Buffer): AmaasError {
  const mine = direct(name, bytes);
  try {
    throwIfMalformed(mine);
  } catch (err) {
    expect(err).toBeInstanceOf(AmaasError);
    expect((err as AmaasError).code).toBe('AMAAS_ERR_INVALID_REQUEST');
    return err as AmaasError;
  }
  throw new Error(`expected ${name} to be refused as malformed`);
}

const I64_MIN = '-9223372036854775808';
const I64_MAX = '9223372036854775807';
const U64_MAX = '18446744073709551615';

/** A value of every scalar type that needs all its bits, for the generic message filler. */
function sampleScalar(fieldType: string, variant: number): unknown {
  const pick = <T>(values: T[]) => values[variant % values.length];
  switch (fieldType) {
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return pick([I64_MIN, I64_MAX, '-1', '9007199254740993']);
    case 'uint64':
    case 'fixed64':
      return pick([U64_MAX, '0', '9007199254740993', '4294967296']);
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return pick([-2147483648, 2147483647, -1]);
    case 'uint32':
    case 'fixed32':
      return pick([4294967295, 0, 300]);
    case 'bool':
      return pick([true, false]);
    case 'float':
      return pick([1.5, -3.4028234663852886e38, 1e-40]);
    case 'double':
      return pick([Math.PI, -1e300, 5e-324, Infinity]);
    case 'string':
      return pick(['héllo', '', '日本語 \u{1F600}']);
    case 'bytes':
      return pick([Buffer.from([0, 255, 1]), Buffer.alloc(0)]);
    default:
      throw new Error(`no sample for ${fieldType}`);
  }
}

/**
 * A message of `t` with every field set (a oneof gets its member number `variant`, modulo its size), built from
 * the reflection of the .proto, so a field added there later is covered without touching this test.
 */
function fill(t: protobuf.Type, variant: number, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const value = (f: protobuf.Field, i: number): unknown => {
    f.resolve();
    if (f.resolvedType instanceof protobuf.Enum) {
      const numbers = Object.values(f.resolvedType.values);
      return numbers[(variant + i + 1) % numbers.length];
    }
    if (f.resolvedType instanceof protobuf.Type) return depth > 6 ? {} : fill(f.resolvedType, variant + i, depth + 1);
    return sampleScalar(f.type, variant + i);
  };
  for (const oneof of t.oneofsArray) {
    const member = oneof.fieldsArray[variant % oneof.fieldsArray.length];
    out[member.name] = member.repeated ? [value(member, 0), value(member, 1)] : value(member, 0);
  }
  for (const f of t.fieldsArray) {
    if (f.partOf) continue;
    if (f instanceof protobuf.MapField) out[f.name] = { a: value(f, 0), '': value(f, 1), __proto__x: value(f, 2) };
    else if (f.repeated) out[f.name] = [value(f, 0), value(f, 1), value(f, 2)];
    else out[f.name] = value(f, 0);
  }
  return out;
}

/** The largest oneof of `t` or of any message inside it: how many variants cover every member. */
function variants(t: protobuf.Type, seen = new Set<string>()): number {
  if (seen.has(t.fullName)) return 1;
  seen.add(t.fullName);
  let n = Math.max(1, ...t.oneofsArray.map((o) => o.fieldsArray.length));
  for (const f of t.fieldsArray) {
    f.resolve();
    if (f.resolvedType instanceof protobuf.Type) n = Math.max(n, variants(f.resolvedType, seen));
  }
  return n;
}

/**
 * Encodes like protobufjs, but every repeated scalar unpacked (one tag per element), at every level: proto3
 * parsers must accept that as well as the packed form protobufjs writes.
 */
function encodeUnpacked(t: protobuf.Type, message: object): Buffer {
  const typed = t.fromObject(message) as unknown as Record<string, unknown>;
  const parts: Uint8Array[] = [];
  for (const f of t.fieldsArray) {
    f.resolve();
    // Only the fields set: a protobufjs message's prototype answers every other field with its default.
    if (!Object.prototype.hasOwnProperty.call(typed, f.name)) continue;
    const v = typed[f.name];
    if (v === undefined || v === null) continue;
    const nested = f.resolvedType instanceof protobuf.Type && !(f instanceof protobuf.MapField) ? f.resolvedType : null;
    if (nested) {
      for (const element of f.repeated ? (v as object[]) : [v as object]) parts.push(frame(f.id, encodeUnpacked(nested, element)));
    } else if (f.repeated && f.type !== 'string' && f.type !== 'bytes') {
      const isEnum = f.resolvedType instanceof protobuf.Enum;
      const w = protobuf.Writer.create() as unknown as Record<string, (x: unknown) => unknown> & protobuf.Writer;
      for (const element of v as unknown[]) {
        w.uint32((f.id << 3) | (isEnum ? 0 : protobuf.types.basic[f.type as keyof typeof protobuf.types.basic]));
        w[isEnum ? 'int32' : f.type](element);
      }
      parts.push(w.finish());
    } else {
      // Singular scalars, strings, bytes and maps: as protobufjs writes them, one field at a time.
      parts.push(t.encode(t.create({ [f.name]: v })).finish());
    }
  }
  return Buffer.concat(parts);
}

/** A length-delimited field holding `bytes`. */
function frame(field: number, bytes: Uint8Array): Buffer {
  return Buffer.from(protobuf.Writer.create().uint32((field << 3) | 2).bytes(bytes).finish());
}

describe('direct request decoding against proto-loader', () => {
  it.each(Object.keys(REQUESTS) as RequestType[])('decodes every field of %s, each oneof member in turn', (name) => {
    const t = type(name);
    for (let v = 0; v < variants(t); v++) agree(name, encode(name, fill(t, v)));
  });

  it.each(Object.keys(REQUESTS) as RequestType[])('decodes an empty %s (every field at its default)', (name) => {
    agree(name, Buffer.alloc(0));
  });

  describe.each(DATA_TYPES.map((d) => d.name))('a %s tensor', (dtype) => {
    const d = DATA_TYPES.find((x) => x.name === dtype)!;
    const typedValues: Record<string, unknown[]> = {
      bool_contents: [true, false, true],
      int_contents: [-2147483648, 2147483647, 0],
      int64_contents: [I64_MIN, I64_MAX, '-1'],
      uint_contents: [0, 4294967295, 7],
      uint64_contents: ['0', U64_MAX, '9007199254740993'],
      fp32_contents: [1.5, -0, 3.4028234663852886e38],
      fp64_contents: [Math.PI, -1e300, 5e-324],
      bytes_contents: [Buffer.from('héllo'), Buffer.alloc(0), Buffer.from([0xff, 0xfe])],
    };
    const raw = Buffer.alloc(3 * Math.max(1, d.itemSize), 0xab);
    const amaasTensor = (typed: boolean) => ({
      name: 'x',
      datatype: dataTypeToWire(d),
      shape: ['1', '3'],
      ...(typed ? { typed_contents: { [d.typedField]: typedValues[d.typedField] } } : { raw_contents: raw }),
    });
    const oipTensor = (typed: boolean) => ({ name: 'x', datatype: d.name, shape: ['1', '3'], ...(typed ? { contents: { [d.typedField]: typedValues[d.typedField] } } : {}) });

    it.each([false, true])('amaas.v1 Predict, typed %s: same message, same InferenceRequest', (typed) => {
      const message = { model_name: 'm', model_version: '3', id: 'r', inputs: [amaasTensor(typed)], output_names: ['y'], output_encoding: 'TENSOR_ENCODING_RAW' };
      for (const bytes of [encode('amaas.v1.PredictRequest', message), encodeUnpacked(type('amaas.v1.PredictRequest'), message)]) {
        const mine = agree('amaas.v1.PredictRequest', bytes);
        const viaMine = attempt(() => decodePredictRequest(mine as never));
        expect(viaMine).toEqual(attempt(() => decodePredictRequest(protoLoader('amaas.v1.PredictRequest', bytes) as never)));
      }
    });

    it.each([false, true])('Open Inference Protocol ModelInfer, typed %s: same message, same InferenceRequest', (typed) => {
      const message = { model_name: 'm', model_version: '2', id: 'r', inputs: [oipTensor(typed)], outputs: [{ name: 'y' }], raw_input_contents: typed ? [] : [raw] };
      for (const bytes of [encode('inference.ModelInferRequest', message), encodeUnpacked(type('inference.ModelInferRequest'), message)]) {
        const mine = agree('inference.ModelInferRequest', bytes);
        expect(attempt(() => decodeInferRequest(mine as never))).toEqual(attempt(() => decodeInferRequest(protoLoader('inference.ModelInferRequest', bytes) as never)));
      }
    });
  });

  it('borrows bytes fields from the receive buffer instead of copying them', () => {
    const bytes = encode('amaas.v1.PredictRequest', { model_name: 'm', inputs: [{ name: 'x', datatype: 'DATA_TYPE_UINT8', shape: ['4'], raw_contents: Buffer.from([1, 2, 3, 4]) }] });
    const mine = direct('amaas.v1.PredictRequest', bytes) as { inputs: { raw_contents: Buffer }[] };
    expect(mine.inputs[0].raw_contents.buffer).toBe(bytes.buffer);
  });

  it('reads InferParameter maps at request, input and output level, every choice, 64-bit extremes exact', () => {
    const params = {
      b: { bool_param: true },
      i_min: { int64_param: I64_MIN },
      i_max: { int64_param: I64_MAX },
      s: { string_param: 'high' },
      d: { double_param: -0.5 },
      u: { uint64_param: U64_MAX },
      '': {},
      timeout: { int64_param: '1500' },
      priority: { uint64_param: '2' },
    };
    const message = { model_name: 'm', parameters: params, inputs: [{ name: 'x', datatype: 'FP32', shape: ['1'], parameters: params }], outputs: [{ name: 'y', parameters: params }] };
    const mine = agree('inference.ModelInferRequest', encode('inference.ModelInferRequest', message)) as { parameters: Record<string, unknown> };
    expect(mine.parameters.u).toEqual({ uint64_param: U64_MAX, parameter_choice: 'uint64_param' });
    expect(mine.parameters['']).toEqual({});
  });

  it('skips unknown fields of every wire type, at the top and inside nested messages and map entries', () => {
    // Field 99 as varint (10 bytes), fixed64, length-delimited, fixed32, and a group holding nested fields and a group.
    const unknown = protobuf.Writer.create();
    unknown.uint32((99 << 3) | 0).int64('-1');
    unknown.uint32((99 << 3) | 1).fixed64(U64_MAX);
    unknown.uint32((99 << 3) | 2).bytes(Buffer.from('not a field'));
    unknown.uint32((99 << 3) | 5).fixed32(7);
    unknown.uint32((98 << 3) | 3).uint32((1 << 3) | 0).uint32(5).uint32((97 << 3) | 3).uint32((97 << 3) | 4).uint32((98 << 3) | 4);
    const extra = Buffer.from(unknown.finish());
    const withUnknown = (name: string, message: object) => Buffer.concat([extra, encode(name, message), extra]);

    const contents = withUnknown('amaas.v1.TensorContents', { fp32_contents: [1, 2] });
    const tensor = Buffer.concat([withUnknown('amaas.v1.Tensor', { name: 'x', datatype: 'DATA_TYPE_FP32', shape: ['2'] }), frame(5, contents)]);
    const predict = Buffer.concat([withUnknown('amaas.v1.PredictRequest', { model_name: 'm', id: 'r' }), frame(4, tensor)]);
    const decoded = agree('amaas.v1.PredictRequest', predict) as { inputs: { typed_contents: { fp32_contents: number[] } }[] };
    expect(decoded.inputs[0].typed_contents.fp32_contents).toEqual([1, 2]);
    agree('amaas.v1.BatchPredictRequest', Buffer.concat([extra, frame(1, predict), extra]));

    const parameter = withUnknown('inference.InferParameter', { int64_param: '5' });
    const entry = Buffer.concat([extra, frame(1, Buffer.from('k')), extra, frame(2, parameter), extra]);
    const infer = Buffer.concat([withUnknown('inference.ModelInferRequest', { model_name: 'm' }), frame(4, entry)]);
    const oip = agree('inference.ModelInferRequest', infer) as { parameters: Record<string, unknown> };
    expect(oip.parameters.k).toEqual({ int64_param: '5', parameter_choice: 'int64_param' });
  });

  it('keeps a map key "__proto__" as a key, never as the map object\'s prototype', () => {
    const entry = Buffer.concat([frame(1, Buffer.from('__proto__')), frame(2, encode('inference.InferParameter', { string_param: 'x' }))]);
    const m = direct('inference.ModelInferRequest', frame(4, entry)) as { parameters: Record<string, unknown> };
    expect(Object.getPrototypeOf(m.parameters)).toBe(Object.prototype);
    expect(Object.keys(m.parameters)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(m.parameters, '__proto__')!.value).toEqual({ string_param: 'x', parameter_choice: 'string_param' });
  });

  it('reads enum numbers the .proto does not name as numbers, like proto-loader', () => {
    const w = protobuf.Writer.create().uint32((6 << 3) | 0).int32(77);
    expect(agree('amaas.v1.PredictRequest', Buffer.from(w.finish()))).toMatchObject({ output_encoding: 77 });
  });

  it('follows the spec where protobufjs departs from it: repeated message fields merge, the last oneof member wins', () => {
    const name = 'amaas.v1.PredictRequest';
    const tensor = (m: object) => encode('amaas.v1.Tensor', m);
    // typed_contents twice: the second merges into the first (fp32 appended, int set).
    const contentsA = encode('amaas.v1.TensorContents', { fp32_contents: [1] });
    const contentsB = encode('amaas.v1.TensorContents', { fp32_contents: [2], int_contents: [3] });
    const merged = Buffer.concat([tensor({ name: 'x' }), frame(5, contentsA), frame(5, contentsB)]);
    const m = direct(name, frame(4, merged)) as { inputs: Record<string, unknown>[] };
    expect(m.inputs[0].typed_contents).toMatchObject({ fp32_contents: [1, 2], int_contents: [3] });
    // raw_contents then typed_contents: only the last member stays set.
    const both = Buffer.concat([tensor({ name: 'x', raw_contents: Buffer.from([1]) }), frame(5, contentsA)]);
    const last = (direct(name, frame(4, both)) as { inputs: Record<string, unknown>[] }).inputs[0];
    expect(last.contents).toBe('typed_contents');
    expect(last).not.toHaveProperty('raw_contents');
    // Packed and unpacked runs of one repeated field append in order.
    const packed = tensor({ name: 'x', shape: ['1', '2'] });
    const unpacked = Buffer.from(protobuf.Writer.create().uint32((3 << 3) | 0).int64('3').finish());
    expect((direct(name, frame(4, Buffer.concat([packed, unpacked]))) as { inputs: { shape: string[] }[] }).inputs[0].shape).toEqual(['1', '2', '3']);
  });

  it('refuses every truncation of a valid message that proto-loader refuses, and agrees on the rest', () => {
    // protobufjs clamps a string that runs past the end instead of refusing it; the direct decoder refuses.
    const name = 'inference.ModelInferRequest';
    const full = encode(name, fill(type(name), 0));
    let refused = 0;
    for (let n = 0; n < full.length; n++) {
      const prefix = full.subarray(0, n);
      let theirs: object | null = null;
      try {
        theirs = protoLoader(name, prefix);
      } catch {
        theirs = null;
      }
      if (theirs === null) {
        refusal(name, prefix);
        refused++;
      } else if (isRefused(name, prefix)) {
        expect(refusal(name, prefix).message).toMatch(/a length of \d+ at byte \d+ runs past the end of its message/);
      } else {
        expect(direct(name, prefix)).toStrictEqual(theirs);
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  it('never throws on garbage, and refuses it with INVALID_ARGUMENT when it is not a message', () => {
    // A fixed-seed generator: the same garbage on every run.
    let seed = 0x9e3779b9;
    const next = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) & 0xff;
    };
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + (i % 64) }, next));
      for (const name of Object.keys(REQUESTS) as RequestType[]) {
        const mine = direct(name, bytes);
        try {
          throwIfMalformed(mine);
        } catch (err) {
          expect((err as AmaasError).code).toBe('AMAAS_ERR_INVALID_REQUEST');
        }
      }
    }
  });

  it.each([
    ['a truncated varint', [0x10, 0x80], /\(in model_version\): a varint at byte 1 runs past the end of its message/],
    ['a length past the end', [0x0a, 0x05, 0x61], /model_name.*a length of 5 at byte 1 runs past the end of its message \(1 bytes left\)/],
    ['a varint of 11 bytes', [0x10, ...Array(10).fill(0xff), 0x01], /longer than 10 bytes/],
    // Field 15 is unknown to PredictRequest: tag bytes 0x78 | wire type.
    ['an unknown field of wire type 7', [0x7f], /field 15 has wire type 7, which does not exist/],
    ['field number 0', [0x00, 0x01], /names field 0/],
    ['an end of group with no group', [0x7c], /an end of group 15 at byte 1 closes no group/],
    ['a group closed by another group', [0x7b, 0x74], /group 15 is closed by the end of group 14/],
    ['an unclosed group', [0x7b, 0x08, 0x01], /group 15, opened before byte 1, is not closed before the end of its message/],
    ['a known field with the wrong wire type', [0x0d, 1, 2, 3, 4], /\(in model_name\): field 1 came with wire type 5, but its type is read with wire type 2/],
    ['groups nested 200 deep', [...Array(200).fill(0x7b)], /groups nest more than 100 deep/],
  ])('refuses %s with a message that says what and where', (_what, bytes, message) => {
    const err = refusal('amaas.v1.PredictRequest', Buffer.from(bytes));
    expect(err.message).toMatch(/^the request is not a valid amaas\.v1\.PredictRequest message/);
    expect(err.message).toMatch(message);
  });

  it('names the nested field that broke, and keeps the stream item decodable as a message', () => {
    const bad = Buffer.from([0x0a, 0x04, 0x22, 0x02, 0x1a, 0x05]);
    const err = refusal('amaas.v1.BatchPredictRequest', bad);
    expect(err.message).toMatch(/\(in request\.inputs\.shape\)/);
    // Every field at its default (request: null), like proto-loader's empty message.
    expect(direct('amaas.v1.BatchPredictRequest', bad)).toStrictEqual(protoLoader('amaas.v1.BatchPredictRequest', Buffer.alloc(0)));
  });

  it('replaces only the request deserializers of the listed methods', () => {
    const amaas = amaasV1Service().service;
    const copy = withDirectRequestDecoding(amaas, ['Predict']);
    expect(copy.Predict.requestDeserialize).not.toBe(amaas.Predict.requestDeserialize);
    expect(copy.Predict.responseSerialize).toBe(amaas.Predict.responseSerialize);
    expect(copy.ListModels).toBe(amaas.ListModels);
    expect(() => withDirectRequestDecoding(amaas, ['NoSuchMethod'])).toThrow(/no method NoSuchMethod/);
  });
});

function isRefused(name: RequestType, bytes: Buffer): boolean {
  try {
    throwIfMalformed(direct(name, bytes));
    return false;
  } catch {
    return true;
  }
}

/** A function's result, or the code and message of the AmaasError it threw. */
function attempt(f: () => unknown): unknown {
  try {
    return f();
  } catch (err) {
    if (err instanceof AmaasError) return { code: err.code, message: err.message };
    throw err;
  }
}

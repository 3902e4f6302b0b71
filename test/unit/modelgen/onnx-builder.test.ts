import './jest-realm';
import * as protobuf from 'protobufjs';
import {
  OnnxModelBuilder,
  attr,
  decodeModel,
  encodeRawData,
  findOnnxProtoPath,
  findRepoRoot,
} from '../../../tools/modelgen/onnx-builder';
import { createSession, ort } from './ort-helpers';

/** Top-level (field number, wire type) pairs of a serialised message. */
function wireFields(bytes: Uint8Array): Array<[number, number]> {
  const r = protobuf.Reader.create(bytes);
  const out: Array<[number, number]> = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    out.push([tag >>> 3, tag & 7]);
    r.skipType(tag & 7);
  }
  return out;
}

function lengthDelimited(bytes: Uint8Array, field: number): Uint8Array[] {
  const r = protobuf.Reader.create(bytes);
  const out: Uint8Array[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === field && (tag & 7) === 2) out.push(r.bytes());
    else r.skipType(tag & 7);
  }
  return out;
}

function tiny(): OnnxModelBuilder {
  return new OnnxModelBuilder({ graphName: 'tiny' })
    .addInput('x', 'float32', ['batch', 2])
    .addInitializer('w', 'float32', [2], [1.5, -2])
    .addNode('Mul', ['x', 'w'], ['y'])
    .addOutput('y', 'float32', ['batch', 2]);
}

describe('OnnxModelBuilder', () => {
  it('finds the repo root and the .proto from compiled code', () => {
    expect(findOnnxProtoPath()).toBe(`${findRepoRoot()}/proto/onnx/onnx-subset.proto`);
  });

  it('writes ModelProto header fields with upstream numbers', () => {
    const bytes = tiny().toBytes();
    // ir_version=1 (varint), producer_name=2, producer_version=3, graph=7, opset_import=8
    expect(wireFields(bytes)).toEqual([
      [1, 0],
      [2, 2],
      [3, 2],
      [7, 2],
      [8, 2],
    ]);
    const m = decodeModel(bytes) as Record<string, any>;
    expect(m.ir_version).toBe('8');
    expect(m.producer_name).toBe('amaas-modelgen');
    expect(m.opset_import).toEqual([{ domain: '', version: '17' }]);
    expect(m.graph.name).toBe('tiny');
  });

  it('uses upstream GraphProto/NodeProto/ValueInfo/TypeProto field numbers', () => {
    const bytes = tiny().toBytes();
    const graph = lengthDelimited(bytes, 7)[0];
    // node=1, name=2, initializer=5, input=11, output=12
    expect(new Set(wireFields(graph).map(([f]) => f))).toEqual(new Set([1, 2, 5, 11, 12]));
    const node = lengthDelimited(graph, 1)[0];
    // input=1, output=2, name=3, op_type=4
    expect(wireFields(node).map(([f]) => f)).toEqual([1, 1, 2, 3, 4]);
    const input = lengthDelimited(graph, 11)[0];
    expect(wireFields(input).map(([f]) => f)).toEqual([1, 2]); // name, type
    const typeProto = lengthDelimited(input, 2)[0];
    const tensorType = lengthDelimited(typeProto, 1)[0]; // tensor_type=1
    expect(wireFields(tensorType)).toEqual([
      [1, 0], // elem_type
      [2, 2], // shape
    ]);
    const shape = lengthDelimited(tensorType, 2)[0];
    const dims = lengthDelimited(shape, 1); // dim=1
    expect(wireFields(dims[0])).toEqual([[2, 2]]); // dim_param
    expect(wireFields(dims[1])).toEqual([[1, 0]]); // dim_value
    const init = lengthDelimited(graph, 5)[0];
    // dims=1, data_type=2, name=8, raw_data=9
    expect(wireFields(init).map(([f]) => f)).toEqual([1, 2, 8, 9]);
  });

  it('encodes attributes with their type discriminator', () => {
    const b = new OnnxModelBuilder()
      .addInput('x', 'float32', [2])
      .addNode('Dummy', ['x'], ['y'], {
        i: attr.int(-3),
        f: attr.float(0.5),
        is: attr.ints([1, -1, 2n ** 40n]),
        fs: attr.floats([0.25, -1]),
        s: attr.string('héllo'),
        t: attr.tensor({ elemType: 'int64', dims: [2], data: [7n, -1n] }),
      })
      .addOutput('y', 'float32', [2]);
    const m = decodeModel(b.toBytes()) as Record<string, any>;
    const a = m.graph.node[0].attribute;
    expect(a.map((x: any) => [x.name, x.type])).toEqual([
      ['i', 2],
      ['f', 1],
      ['is', 7],
      ['fs', 6],
      ['s', 3],
      ['t', 4],
    ]);
    expect(a[0].i).toBe('-3');
    expect(a[1].f).toBe(0.5);
    expect(a[2].ints).toEqual(['1', '-1', String(2n ** 40n)]);
    expect(a[3].floats).toEqual([0.25, -1]);
    expect(Buffer.from(a[4].s).toString('utf8')).toBe('héllo');
    expect(a[5].t.data_type).toBe(7);
    expect(a[5].t.raw_data).toEqual([7, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255]);
  });

  it('distinguishes rank 0 (empty shape) from unknown rank (no shape)', () => {
    const b = new OnnxModelBuilder()
      .addInput('scalar', 'float32', [])
      .addInput('anything', 'float32')
      .addNode('Identity', ['scalar'], ['y'])
      .addOutput('y', 'float32', []);
    const m = decodeModel(b.toBytes()) as Record<string, any>;
    expect(m.graph.input[0].type.tensor_type).toEqual({ elem_type: 1, shape: {} });
    expect(m.graph.input[1].type.tensor_type).toEqual({ elem_type: 1 });
  });

  it('writes raw_data little-endian for every numeric type', () => {
    expect(Array.from(encodeRawData('float32', [1]))).toEqual([0, 0, 0x80, 0x3f]);
    expect(Array.from(encodeRawData('float64', [1]))).toEqual([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
    expect(Array.from(encodeRawData('float16', new Uint16Array([0x3c00])))).toEqual([0x00, 0x3c]);
    expect(Array.from(encodeRawData('int8', [-1, 127]))).toEqual([0xff, 0x7f]);
    expect(Array.from(encodeRawData('int16', [-2]))).toEqual([0xfe, 0xff]);
    expect(Array.from(encodeRawData('int32', [0x01020304]))).toEqual([4, 3, 2, 1]);
    expect(Array.from(encodeRawData('int64', [-2n]))).toEqual([0xfe, 255, 255, 255, 255, 255, 255, 255]);
    expect(Array.from(encodeRawData('uint8', [255]))).toEqual([255]);
    expect(Array.from(encodeRawData('uint16', [0x0102]))).toEqual([2, 1]);
    expect(Array.from(encodeRawData('uint32', [0xfffffffe]))).toEqual([0xfe, 255, 255, 255]);
    expect(Array.from(encodeRawData('uint64', [2n ** 64n - 1n]))).toEqual([255, 255, 255, 255, 255, 255, 255, 255]);
    expect(Array.from(encodeRawData('bool', [true, false]))).toEqual([1, 0]);
    expect(Array.from(encodeRawData('bool', new Uint8Array([1, 0])))).toEqual([1, 0]);
  });

  it('stores string initializers in string_data and ORT reads them', async () => {
    const b = new OnnxModelBuilder()
      .addInput('x', 'string', ['n'])
      .addInitializer('suffix', 'string', [2], ['α', ''])
      .addNode('Concat', ['x', 'suffix'], ['y'], { axis: attr.int(0) })
      .addOutput('y', 'string', ['m']);
    const m = decodeModel(b.toBytes()) as Record<string, any>;
    expect(m.graph.initializer[0].raw_data).toBeUndefined();
    expect(m.graph.initializer[0].string_data.map((s: number[]) => Buffer.from(s).toString('utf8'))).toEqual(['α', '']);
    const s = await createSession(b.toBytes());
    const r = await s.run({ x: new ort.Tensor('string', ['a'], [1]) });
    expect(Array.from(r.y.data as string[])).toEqual(['a', 'α', '']);
    await s.release();
  });

  it('produces models ORT runs, with initializers, attributes and a Constant tensor attribute', async () => {
    const b = new OnnxModelBuilder()
      .addInput('x', 'float32', ['batch', 3])
      .addNode('Constant', [], ['c'], {
        value: attr.tensor({ elemType: 'float32', dims: [3], data: [1, 2, 3] }),
      })
      .addNode('Add', ['x', 'c'], ['sum'])
      .addNode('LeakyRelu', ['sum'], ['y'], { alpha: attr.float(0.5) })
      .addOutput('y', 'float32', ['batch', 3]);
    const s = await createSession(b.toBytes());
    const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from([-5, 0, 1]), [1, 3]) });
    expect(Array.from(r.y.data as Float32Array)).toEqual([-2, 2, 4]);
    await s.release();
  });

  it('gives identical bytes for identical builds', () => {
    expect(Buffer.from(tiny().toBytes()).equals(Buffer.from(tiny().toBytes()))).toBe(true);
  });

  it('returns a Uint8Array of the calling realm', () => {
    expect(tiny().toBytes() instanceof Uint8Array).toBe(true);
  });

  it('rejects malformed graphs', () => {
    expect(() => new OnnxModelBuilder().addInput('x', 'float32').addInput('x', 'float32')).toThrow(/duplicate/);
    expect(() => new OnnxModelBuilder().addInitializer('w', 'float32', [2, 2], [1, 2, 3])).not.toThrow();
    expect(() =>
      new OnnxModelBuilder()
        .addInput('x', 'float32', [2, 2])
        .addInitializer('w', 'float32', [2, 2], [1, 2, 3])
        .addNode('Add', ['x', 'w'], ['y'])
        .addOutput('y', 'float32')
        .toBytes(),
    ).toThrow(/3 values/);
    expect(() =>
      new OnnxModelBuilder().addInput('x', 'float32').addNode('Relu', ['nope'], ['y']).addOutput('y', 'float32').toBytes(),
    ).toThrow(/"nope" is not defined/);
    expect(() => new OnnxModelBuilder().addInput('x', 'float32').addOutput('z', 'float32').toBytes()).toThrow(
      /never produced/,
    );
    expect(() => new OnnxModelBuilder().addInput('x', 'float32').toBytes()).toThrow(/no outputs/);
    expect(() => new OnnxModelBuilder().addInput('x', 'float32', [1.5]).addNode('Relu', ['x'], ['y']).addOutput('y', 'float32').toBytes()).toThrow(
      /invalid dim/,
    );
  });
});

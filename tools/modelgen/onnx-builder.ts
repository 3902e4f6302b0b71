import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';

/** Element type names, spelled as onnxruntime's JS API spells them. */
export type ElemType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string';

/** TensorProto.DataType numbers (onnx.proto). */
export const ONNX_DATA_TYPE: Readonly<Record<ElemType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
};

export const ELEM_TYPES: readonly ElemType[] = Object.keys(ONNX_DATA_TYPE) as ElemType[];

/** A dimension: fixed size, or a symbolic name such as "batch". */
export type Dim = number | string;
export type Shape = readonly Dim[];

/**
 * Tensor payloads. float16 takes raw IEEE-754 half bits (Uint16Array), since
 * Node 20 has no Float16Array. bool takes 0/1 bytes or booleans.
 */
export type TensorData =
  | ArrayLike<number>
  | ArrayLike<bigint>
  | ArrayLike<boolean>
  | readonly string[];

export interface TensorValue {
  elemType: ElemType;
  dims: readonly number[];
  data: TensorData;
}

export type AttributeValue =
  | { type: 'int'; value: number | bigint }
  | { type: 'float'; value: number }
  | { type: 'ints'; value: ReadonlyArray<number | bigint> }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: TensorValue };

/** Explicit attribute constructors: a JS number alone cannot say int or float. */
export const attr = {
  int: (value: number | bigint): AttributeValue => ({ type: 'int', value }),
  float: (value: number): AttributeValue => ({ type: 'float', value }),
  ints: (value: ReadonlyArray<number | bigint>): AttributeValue => ({ type: 'ints', value }),
  floats: (value: readonly number[]): AttributeValue => ({ type: 'floats', value }),
  string: (value: string): AttributeValue => ({ type: 'string', value }),
  tensor: (value: TensorValue): AttributeValue => ({ type: 'tensor', value }),
};

export interface ModelBuilderOptions {
  graphName?: string;
  docString?: string;
  irVersion?: number;
  opsetVersion?: number;
  producerName?: string;
  producerVersion?: string;
}

export interface NodeOptions {
  name?: string;
  domain?: string;
}

export const DEFAULT_IR_VERSION = 8;
export const DEFAULT_OPSET_VERSION = 17;
export const PRODUCER_NAME = 'amaas-modelgen';
// Fixed, not read from package.json, so a release bump does not change model bytes.
export const PRODUCER_VERSION = '1';

const PROTO_REL = path.join('proto', 'onnx', 'onnx-subset.proto');

/**
 * Repository root: the nearest ancestor of `startDir` holding
 * proto/onnx/onnx-subset.proto. Works from both tools/modelgen (sources)
 * and dist/tools/modelgen (compiled).
 */
export function findRepoRoot(startDir: string = __dirname): string {
  let dir = path.resolve(startDir);
  for (;;) {
    if (fs.existsSync(path.join(dir, PROTO_REL))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find ${PROTO_REL} in any parent of ${startDir}`);
    }
    dir = parent;
  }
}

export function findOnnxProtoPath(startDir: string = __dirname): string {
  return path.join(findRepoRoot(startDir), PROTO_REL);
}

let modelProtoType: protobuf.Type | undefined;

function getModelProtoType(): protobuf.Type {
  if (!modelProtoType) {
    // keepCase: without it protobufjs camelCases field names and fromObject
    // silently drops every snake_case key (opset_import, raw_data, ...).
    const root = new protobuf.Root().loadSync(findOnnxProtoPath(), { keepCase: true });
    modelProtoType = root.lookupType('onnx.ModelProto');
  }
  return modelProtoType;
}

/** protobufjs takes int64 as number, string or Long; bigints go as decimal strings. */
function int64Value(v: number | bigint): number | string {
  if (typeof v === 'bigint') return v.toString();
  if (!Number.isSafeInteger(v)) throw new Error(`int64 value ${v} is not a safe integer`);
  return v;
}

function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid tensor dim ${d}`);
    n *= d;
  }
  return n;
}

const BYTE_WIDTH: Readonly<Record<Exclude<ElemType, 'string'>, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  bool: 1,
};

// Hoisted so hot loops avoid global lookups, which are slow inside vm
// contexts such as jest's.
const toNumber = Number;
const toBigInt = BigInt;
const objectTag = (v: unknown): string => Object.prototype.toString.call(v);
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const TYPED_ARRAY_TAG: Readonly<Record<Exclude<ElemType, 'string'>, string>> = {
  float32: '[object Float32Array]',
  float64: '[object Float64Array]',
  float16: '[object Uint16Array]',
  int8: '[object Int8Array]',
  int16: '[object Int16Array]',
  int32: '[object Int32Array]',
  int64: '[object BigInt64Array]',
  uint8: '[object Uint8Array]',
  uint16: '[object Uint16Array]',
  uint32: '[object Uint32Array]',
  uint64: '[object BigUint64Array]',
  bool: '[object Uint8Array]',
};

/**
 * Serialises numeric data as ONNX raw_data: fixed width, little-endian
 * whatever the host byte order.
 */
export function encodeRawData(elemType: Exclude<ElemType, 'string'>, data: TensorData): Uint8Array {
  const n = data.length;
  const width = BYTE_WIDTH[elemType];
  // Fast path: a matching typed array on a little-endian host is already in
  // wire layout. The tag test (not instanceof) also accepts other realms' arrays.
  if (HOST_LITTLE_ENDIAN && elemType !== 'bool' && objectTag(data) === TYPED_ARRAY_TAG[elemType]) {
    const view = data as unknown as ArrayBufferView;
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
  }
  const out = new Uint8Array(n * width);
  const view = new DataView(out.buffer);
  const src = data as ArrayLike<unknown>;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    const at = i * width;
    switch (elemType) {
      case 'float32':
        view.setFloat32(at, toNumber(v), true);
        break;
      case 'float64':
        view.setFloat64(at, toNumber(v), true);
        break;
      case 'float16':
      case 'uint16':
        view.setUint16(at, toNumber(v), true);
        break;
      case 'int16':
        view.setInt16(at, toNumber(v), true);
        break;
      case 'int8':
        view.setInt8(at, toNumber(v));
        break;
      case 'uint8':
        view.setUint8(at, toNumber(v));
        break;
      case 'bool':
        view.setUint8(at, v ? 1 : 0);
        break;
      case 'int32':
        view.setInt32(at, toNumber(v), true);
        break;
      case 'uint32':
        view.setUint32(at, toNumber(v), true);
        break;
      case 'int64':
        view.setBigInt64(at, toBigInt(v as number | bigint), true);
        break;
      case 'uint64':
        view.setBigUint64(at, toBigInt(v as number | bigint), true);
        break;
    }
  }
  return out;
}

function tensorProto(name: string | undefined, t: TensorValue): Record<string, unknown> {
  const count = elementCount(t.dims);
  if (t.data.length !== count) {
    throw new Error(
      `tensor ${name ?? '<attr>'}: ${t.data.length} values for dims [${t.dims.join(',')}] (need ${count})`,
    );
  }
  const msg: Record<string, unknown> = {
    dims: t.dims.map((d) => int64Value(d)),
    data_type: ONNX_DATA_TYPE[t.elemType],
  };
  if (name !== undefined) msg.name = name;
  if (t.elemType === 'string') {
    // Strings cannot use raw_data; upstream requires string_data.
    msg.string_data = Array.from(t.data as readonly string[], (s) => Buffer.from(String(s), 'utf8'));
  } else {
    msg.raw_data = encodeRawData(t.elemType, t.data);
  }
  return msg;
}

function typeProto(elemType: ElemType, shape: Shape | undefined): Record<string, unknown> {
  const tensorType: Record<string, unknown> = { elem_type: ONNX_DATA_TYPE[elemType] };
  // undefined = unknown rank (no shape field); [] = rank 0 (empty shape present).
  if (shape !== undefined) {
    tensorType.shape = {
      dim: shape.map((d) => {
        if (typeof d === 'string') {
          if (d.length === 0) throw new Error('symbolic dim name must not be empty');
          return { dim_param: d };
        }
        if (!Number.isInteger(d) || d < 0) throw new Error(`invalid dim ${d}`);
        return { dim_value: d };
      }),
    };
  }
  return { tensor_type: tensorType };
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

function attributeProto(name: string, a: AttributeValue): Record<string, unknown> {
  const msg: Record<string, unknown> = { name, type: ATTRIBUTE_TYPE[a.type] };
  switch (a.type) {
    case 'int':
      msg.i = int64Value(a.value);
      break;
    case 'float':
      msg.f = a.value;
      break;
    case 'ints':
      msg.ints = a.value.map(int64Value);
      break;
    case 'floats':
      msg.floats = [...a.value];
      break;
    case 'string':
      msg.s = Buffer.from(a.value, 'utf8');
      break;
    case 'tensor':
      msg.t = tensorProto(undefined, a.value);
      break;
  }
  return msg;
}

interface ValueInfo {
  name: string;
  elemType: ElemType;
  shape: Shape | undefined;
}

interface NodeDef {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: Readonly<Record<string, AttributeValue>>;
  name: string;
  domain: string | undefined;
}

/**
 * Builds one ONNX ModelProto. Everything is kept in insertion order and no
 * timestamps or random ids are written, so equal calls give equal bytes.
 */
export class OnnxModelBuilder {
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: Array<{ name: string; tensor: TensorValue }> = [];
  private readonly nodes: NodeDef[] = [];
  private readonly names = new Set<string>();
  private readonly opts: Required<ModelBuilderOptions>;

  constructor(options: ModelBuilderOptions = {}) {
    this.opts = {
      graphName: options.graphName ?? 'graph',
      docString: options.docString ?? '',
      irVersion: options.irVersion ?? DEFAULT_IR_VERSION,
      opsetVersion: options.opsetVersion ?? DEFAULT_OPSET_VERSION,
      producerName: options.producerName ?? PRODUCER_NAME,
      producerVersion: options.producerVersion ?? PRODUCER_VERSION,
    };
  }

  private claim(name: string): void {
    if (!name) throw new Error('value name must not be empty');
    if (this.names.has(name)) throw new Error(`duplicate value name "${name}"`);
    this.names.add(name);
  }

  /** Graph input. Omit `shape` for unknown rank; pass [] for a scalar. */
  addInput(name: string, elemType: ElemType, shape?: Shape): this {
    this.claim(name);
    this.inputs.push({ name, elemType, shape });
    return this;
  }

  /** Graph output; its name must be produced by some node. */
  addOutput(name: string, elemType: ElemType, shape?: Shape): this {
    if (this.outputs.some((o) => o.name === name)) throw new Error(`duplicate output "${name}"`);
    this.outputs.push({ name, elemType, shape });
    return this;
  }

  /** Constant tensor (stored as raw_data, or string_data for strings). */
  addInitializer(name: string, elemType: ElemType, dims: readonly number[], data: TensorData): this {
    this.claim(name);
    this.initializers.push({ name, tensor: { elemType, dims: [...dims], data } });
    return this;
  }

  addNode(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
    options: NodeOptions = {},
  ): this {
    for (const o of outputs) if (o !== '') this.claim(o);
    this.nodes.push({
      opType,
      inputs: [...inputs],
      outputs: [...outputs],
      attributes: { ...attributes },
      name: options.name ?? `${opType}_${this.nodes.length}`,
      domain: options.domain,
    });
    return this;
  }

  private validate(): void {
    if (this.outputs.length === 0) throw new Error('graph has no outputs');
    const known = new Set<string>([...this.inputs.map((i) => i.name), ...this.initializers.map((i) => i.name)]);
    for (const n of this.nodes) {
      for (const i of n.inputs) {
        // '' marks an omitted optional input.
        if (i !== '' && !known.has(i)) throw new Error(`node ${n.name}: input "${i}" is not defined before use`);
      }
      for (const o of n.outputs) if (o !== '') known.add(o);
    }
    for (const o of this.outputs) {
      if (!known.has(o.name)) throw new Error(`graph output "${o.name}" is never produced`);
    }
  }

  /** Plain-object form of the ModelProto (field names as in onnx.proto). */
  toObject(): Record<string, unknown> {
    this.validate();
    const graph: Record<string, unknown> = {
      node: this.nodes.map((n) => {
        const node: Record<string, unknown> = {
          input: n.inputs,
          output: n.outputs,
          name: n.name,
          op_type: n.opType,
          attribute: Object.entries(n.attributes).map(([k, v]) => attributeProto(k, v)),
        };
        if (n.domain !== undefined) node.domain = n.domain;
        return node;
      }),
      name: this.opts.graphName,
      initializer: this.initializers.map((i) => tensorProto(i.name, i.tensor)),
      input: this.inputs.map((v) => ({ name: v.name, type: typeProto(v.elemType, v.shape) })),
      output: this.outputs.map((v) => ({ name: v.name, type: typeProto(v.elemType, v.shape) })),
    };
    const model: Record<string, unknown> = {
      ir_version: this.opts.irVersion,
      producer_name: this.opts.producerName,
      producer_version: this.opts.producerVersion,
      graph,
      opset_import: [{ domain: '', version: this.opts.opsetVersion }],
    };
    if (this.opts.docString) model.doc_string = this.opts.docString;
    return model;
  }

  /** Serialised ModelProto. */
  toBytes(): Uint8Array {
    const type = getModelProtoType();
    const message = type.fromObject(this.toObject());
    const encoded = type.encode(message).finish();
    // Copy into a plain Uint8Array of this realm: protobufjs hands back a Node
    // Buffer, which fails `instanceof Uint8Array` inside jest's vm context
    // (onnxruntime-common dispatches InferenceSession.create on that check).
    const out = new Uint8Array(encoded.length);
    out.set(encoded);
    return out;
  }
}

/** Decodes model bytes back to a plain object (for tests and debugging). */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  const type = getModelProtoType();
  return type.toObject(type.decode(bytes), { longs: String, bytes: Array, defaults: false, oneofs: true });
}

/**
 * OnnxModelBuilder: one deterministic ONNX ModelProto from inputs, outputs, initializers and nodes. The
 * vocabulary it takes is in onnx-types.ts, the message objects it assembles come from onnx-protos.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import { attributeProto, tensorProto, typeProto } from './onnx-protos';
import type { AttributeValue, ElemType, Shape, TensorData, TensorValue } from './onnx-types';

export * from './onnx-types';
export { encodeRawData } from './onnx-protos';

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

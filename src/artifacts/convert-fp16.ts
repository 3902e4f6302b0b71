/**
 * float32 -> float16 conversion: float initializers are stored as float16 (clamped to its range) and float
 * operators compute in float16; operators without a useful float16 form stay float32 behind Casts. With
 * `keepIoTypes` the model's float inputs and outputs stay float32, with Casts right after and before them.
 *
 * On CPU this saves space, not time: onnxruntime's CPU kernels mostly lack float16 and it wraps such nodes in
 * Casts back to float32. On CUDA, float16 runs on tensor cores and is a speed option.
 */
import { GraphEditor, getAttribute, makeNode, setAttribute } from './graph-edit';
import { inferElemTypes } from './elem-types';
import { DataType, GraphProto, ModelProto, NodeProto } from './onnx-model';
import { FLOAT16_MAX, floatValues, isExternal, makeTensor, tensorDims, toFloat16Clamped } from './tensor-values';

/**
 * Operators kept in float32: those whose float16 forms are missing or lose too much (index and box arithmetic,
 * running sums, range generation), and those with inputs that ONNX fixes to float32 (Resize's and Upsample's
 * scales).
 */
export const FP32_OPS: readonly string[] = [
  'Resize',
  'Upsample',
  'Range',
  'CumSum',
  'NonMaxSuppression',
  'RoiAlign',
  'TopK',
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Multinomial',
  'If',
  'Loop',
  'Scan',
];

export interface Fp16Options {
  /** Keep float32 graph inputs and outputs (Casts at the boundary). */
  readonly keepIoTypes?: boolean;
  /** More operator types to keep in float32. */
  readonly keepOps?: readonly string[];
  /**
   * What to do with a node whose constant inputs hold values beyond ±65504: 'keep-fp32' (the default) keeps
   * the node and those constants in float32; 'clamp' converts them anyway, clamped to ±65504. Values of
   * ±3.4e38 or infinity, which exporters use for "unbounded" (Clip bounds), are clamped either way.
   */
  readonly outOfRange?: 'keep-fp32' | 'clamp';
}

export interface Fp16Report {
  /** Initializers now stored as float16. */
  readonly convertedInitializers: number;
  /** Initializer values moved into the float16 range (±65504, or ±2^-24 for tiny non-zeros). */
  readonly clampedValues: number;
  /** Nodes left in float32, by name and operator. */
  readonly keptFp32: string[];
}

function runsInFp16(node: NodeProto, keep: ReadonlySet<string>, fp32Nodes: ReadonlySet<NodeProto>): boolean {
  const domain = node.domain ?? '';
  if (domain !== '' && domain !== 'ai.onnx') return false;
  if (keep.has(node.op_type) || fp32Nodes.has(node)) return false;
  return !(node.attribute ?? []).some((a) => a.g !== undefined || (a.graphs?.length ?? 0) > 0);
}

const FLOAT32_MAX = 3.4028234663852886e38;

/** Whether a float constant holds a finite value float16 cannot hold (not counting the float32 extremes). */
function exceedsFp16(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > FLOAT16_MAX && a < FLOAT32_MAX * 0.999) return true;
  }
  return false;
}

/** The nodes that read a constant beyond the float16 range. */
function outOfRangeReaders(editor: GraphEditor, nodes: readonly NodeProto[]): Set<NodeProto> {
  const wide = new Set<string>();
  for (const t of editor.graph.initializer) {
    if (t.data_type === DataType.FLOAT && !isExternal(t) && exceedsFp16(floatValues(t))) wide.add(t.name ?? '');
  }
  return new Set(nodes.filter((n) => n.input.some((i) => wide.has(i))));
}

/** Renames reads of `from` to `to` in a sub-graph and its nested sub-graphs. */
function renameReads(graph: GraphProto, from: string, to: string): void {
  for (const n of graph.node) {
    n.input = n.input.map((i) => (i === from ? to : i));
    for (const a of n.attribute ?? []) {
      if (a.g) renameReads(a.g as GraphProto, from, to);
      for (const g of a.graphs ?? []) renameReads(g as GraphProto, from, to);
    }
  }
}

class Fp16Converter {
  private readonly half = new Set<string>();
  private readonly casts = new Map<string, string>();
  readonly report = { convertedInitializers: 0, clampedValues: 0, keptFp32: [] as string[] };

  constructor(
    private readonly editor: GraphEditor,
    private readonly types: Map<string, number>,
    private readonly keep: ReadonlySet<string>,
    private readonly fp32Nodes: ReadonlySet<NodeProto>,
  ) {}

  private fp16(node: NodeProto): boolean {
    return runsInFp16(node, this.keep, this.fp32Nodes);
  }

  private isFloat(name: string): boolean {
    return name !== '' && this.types.get(name) === DataType.FLOAT;
  }

  /** A Cast of `name` to float16 or float32, made once and placed right after the value is produced. */
  private cast(name: string, to: number): string {
    const key = `${name}|${to}`;
    const existing = this.casts.get(key);
    if (existing) return existing;
    const out = this.editor.fresh(`${name}_${to === DataType.FLOAT16 ? 'fp16' : 'fp32'}`);
    this.editor.insertAfterProducer(name, [makeNode('Cast', [name], [out], this.editor.fresh(`${out}_Cast`), { to: { int: to } })]);
    this.casts.set(key, out);
    return out;
  }

  convertInitializers(nodes: readonly NodeProto[]): void {
    const e = this.editor;
    for (const t of e.graph.initializer) {
      const name = t.name ?? '';
      if (t.data_type !== DataType.FLOAT || isExternal(t) || e.isGraphOutput(name) || e.readBySubgraph(name)) continue;
      if (e.graph.input.some((i) => i.name === name)) continue; // overridable: its type is part of the interface
      const readers = nodes.filter((n) => n.input.includes(name));
      if (readers.length === 0 || !readers.every((n) => this.fp16(n))) continue;
      const { bits, clamped } = toFloat16Clamped(floatValues(t));
      Object.assign(t, makeTensor(name, DataType.FLOAT16, tensorDims(t), bits));
      delete t.float_data;
      this.half.add(name);
      this.report.convertedInitializers++;
      this.report.clampedValues += clamped;
    }
  }

  convertInputs(keepIoTypes: boolean): void {
    if (keepIoTypes) return;
    for (const v of this.editor.graph.input) {
      const tt = v.type?.tensor_type;
      if (tt?.elem_type === DataType.FLOAT && !this.editor.initializer(v.name)) {
        tt.elem_type = DataType.FLOAT16;
        this.half.add(v.name);
      }
    }
  }

  node(node: NodeProto): void {
    if (!this.fp16(node)) {
      const why = this.fp32Nodes.has(node) ? ', constants beyond the float16 range' : '';
      this.report.keptFp32.push(`${node.name || '(unnamed)'} (${node.op_type}${why})`);
      node.input = node.input.map((i) => (this.half.has(i) ? this.cast(i, DataType.FLOAT) : i));
      return;
    }
    node.input = node.input.map((i) => (this.isFloat(i) && !this.half.has(i) ? this.cast(i, DataType.FLOAT16) : i));
    retypeAttributes(node);
    for (const o of node.output) if (this.isFloat(o)) this.half.add(o);
  }

  /** Float outputs end up float32 (keepIoTypes) or float16 (otherwise), with a final Cast where needed. */
  outputs(keepIoTypes: boolean): void {
    const e = this.editor;
    for (const v of e.graph.output) {
      const tt = v.type?.tensor_type;
      if (!tt || tt.elem_type !== DataType.FLOAT) continue;
      const isHalf = this.half.has(v.name);
      if (!keepIoTypes && isHalf) {
        tt.elem_type = DataType.FLOAT16;
        continue;
      }
      if (keepIoTypes && !isHalf) continue;
      const to = keepIoTypes ? DataType.FLOAT : DataType.FLOAT16;
      const inner = e.fresh(`${v.name}_${keepIoTypes ? 'fp16' : 'fp32'}`);
      for (const n of e.graph.node) {
        n.output = n.output.map((o) => (o === v.name ? inner : o));
        n.input = n.input.map((i) => (i === v.name ? inner : i));
      }
      e.graph.node.push(makeNode('Cast', [inner], [v.name], e.fresh(`${v.name}_Cast`), { to: { int: to } }));
      if (isHalf) this.half.add(inner);
      this.half.delete(v.name);
      tt.elem_type = to;
    }
  }

  /** Sub-graphs (kept float32) read float32 copies of outer values that became float16. */
  subgraphReads(): void {
    const e = this.editor;
    for (const n of [...e.graph.node]) {
      for (const a of n.attribute ?? []) {
        for (const g of [a.g, ...(a.graphs ?? [])]) {
          if (!g) continue;
          for (const name of [...this.half]) if (e.readBySubgraph(name)) renameReads(g as GraphProto, name, this.cast(name, DataType.FLOAT));
        }
      }
    }
  }

  valueInfo(): void {
    const g = this.editor.graph;
    for (const v of g.value_info) {
      const tt = v.type?.tensor_type;
      if (tt?.elem_type === DataType.FLOAT && this.half.has(v.name)) tt.elem_type = DataType.FLOAT16;
    }
  }
}

/** Attributes that name a float type or hold a float tensor follow the node into float16. */
function retypeAttributes(node: NodeProto): void {
  if (node.op_type === 'Cast' && getAttribute(node, 'to')?.i !== undefined && Number(getAttribute(node, 'to')!.i) === DataType.FLOAT) {
    setAttribute(node, 'to', { int: DataType.FLOAT16 });
  }
  if (node.op_type === 'EyeLike' && Number(getAttribute(node, 'dtype')?.i ?? 0) === DataType.FLOAT) setAttribute(node, 'dtype', { int: DataType.FLOAT16 });
  const value = node.op_type === 'ConstantOfShape' ? getAttribute(node, 'value')?.t : undefined;
  if (value && value.data_type === DataType.FLOAT) {
    setAttribute(node, 'value', { tensor: makeTensor(value.name ?? '', DataType.FLOAT16, tensorDims(value), toFloat16Clamped(floatValues(value)).bits) });
  } else if (node.op_type === 'ConstantOfShape' && !value) {
    // No value means float32 zeros.
    setAttribute(node, 'value', { tensor: makeTensor('', DataType.FLOAT16, [1], new Uint16Array(1)) });
  }
}

/** Converts `model` in place. */
export function convertToFp16(model: ModelProto, options: Fp16Options = {}): Fp16Report {
  const editor = new GraphEditor(model);
  editor.hoistConstants();
  const keep = new Set([...FP32_OPS, ...(options.keepOps ?? [])]);
  const nodes = [...editor.graph.node];
  const fp32Nodes = options.outOfRange === 'clamp' ? new Set<NodeProto>() : outOfRangeReaders(editor, nodes);
  const c = new Fp16Converter(editor, inferElemTypes(editor.graph), keep, fp32Nodes);
  c.convertInitializers(nodes);
  c.convertInputs(options.keepIoTypes ?? false);
  for (const node of nodes) c.node(node);
  c.subgraphReads();
  c.outputs(options.keepIoTypes ?? false);
  c.valueInfo();
  editor.removeUnusedInitializers();
  return c.report;
}

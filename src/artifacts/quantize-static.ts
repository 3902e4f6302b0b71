/**
 * Static int8 quantization in QDQ form: every Conv, MatMul and Gemm with a constant weight reads its
 * activation through QuantizeLinear -> DequantizeLinear (uint8, range calibrated on samples) and its weight
 * through DequantizeLinear (int8, per output channel), and its output is quantized the same way. onnxruntime
 * fuses such a group into QLinearConv / QLinearMatMul; other runtimes can read the same file.
 */
import { calibrate, CalibrationOptions, ValueRange } from './calibration';
import { foldBatchNorms } from './fold-batch-norm';
import { AttrValue, GraphEditor, intAttribute, makeNode } from './graph-edit';
import { DataType, ModelProto, NodeProto } from './onnx-model';
import { ensureOpset, opsetUpgradeRefusal } from './opset-upgrade';
import { ActivationQuantization, activationParams, quantizeBias, quantizeWeight } from './quant-params';
import type { QuantizeReport } from './quantize-dynamic';
import { Sample } from './samples';
import { floatValues, isExternal, makeTensor, tensorDims } from './tensor-values';

export interface StaticQuantizeOptions extends CalibrationOptions {
  readonly samples: readonly Sample[];
  /** Per-channel weight scales (default true). */
  readonly perChannel?: boolean;
  readonly reduceRange?: boolean;
  readonly exclude?: readonly string[];
}

interface Target {
  node: NodeProto;
  /** Which input holds the weight, and its channel axis. */
  weightAxis: number;
}

function targetOf(editor: GraphEditor, node: NodeProto): Target | string | undefined {
  if ((node.domain ?? '') !== '') return undefined;
  const w = ['Conv', 'MatMul', 'Gemm'].includes(node.op_type) ? editor.constant(node.input[1]) : undefined;
  if (!['Conv', 'MatMul', 'Gemm'].includes(node.op_type)) return undefined;
  if (!w) return 'its weight is not a constant';
  if (w.data_type !== DataType.FLOAT || isExternal(w)) return 'its weight is not an inline float32 tensor';
  if (editor.constant(node.input[0])) return 'its input is a constant';
  if (node.op_type === 'MatMul' && tensorDims(w).length !== 2) return 'its weight is not 2-D';
  if (node.op_type === 'Gemm' && intAttribute(node, 'transA', 0) !== 0) return 'it transposes A';
  const weightAxis = node.op_type === 'Conv' ? 0 : node.op_type === 'Gemm' && intAttribute(node, 'transB', 0) !== 0 ? 0 : 1;
  return { node, weightAxis };
}

class QdqWriter {
  private readonly dq = new Map<string, string>();

  constructor(
    private readonly editor: GraphEditor,
    private readonly options: StaticQuantizeOptions,
  ) {}

  /** Q -> DQ on an activation, right after its producer; every reader (but the new Q) reads the DQ output. */
  activation(name: string, p: ActivationQuantization): void {
    const e = this.editor;
    const scale = e.addFloatConstant(`${name}_scale`, [], [p.scale]);
    const zp = e.addInitializer(makeTensor(e.fresh(`${name}_zero_point`), DataType.UINT8, [], Uint8Array.of(p.zeroPoint)));
    const q = e.fresh(`${name}_quantized`);
    const producer = e.producer(name);
    if (producer && e.isGraphOutput(name) && !e.readBySubgraph(name)) {
      // A graph output keeps its name on the DequantizeLinear, so that its producer's group fuses too.
      const inner = e.fresh(`${name}_float`);
      producer.output = producer.output.map((o) => (o === name ? inner : o));
      e.insertAfterProducer(inner, [
        makeNode('QuantizeLinear', [inner, scale, zp], [q], e.fresh(`${name}_QuantizeLinear`)),
        makeNode('DequantizeLinear', [q, scale, zp], [name], e.fresh(`${name}_DequantizeLinear`)),
      ]);
      return;
    }
    const dq = e.fresh(`${name}_dequantized`);
    const readers = e.consumers(name);
    e.insertAfterProducer(name, [
      makeNode('QuantizeLinear', [name, scale, zp], [q], e.fresh(`${name}_QuantizeLinear`)),
      makeNode('DequantizeLinear', [q, scale, zp], [dq], e.fresh(`${name}_DequantizeLinear`)),
    ]);
    for (const r of readers) r.input = r.input.map((i) => (i === name ? dq : i));
  }

  /** int8 weight (per channel along `axis`) behind a DequantizeLinear; made once per weight. */
  weight(name: string, axis: number): { output: string; scales: Float32Array } {
    const e = this.editor;
    const t = e.constant(name)!;
    const dims = tensorDims(t);
    const channelAxis = this.options.perChannel === false ? undefined : axis;
    const wq = quantizeWeight(floatValues(t), dims, { axis: channelAxis, reduceRange: this.options.reduceRange });
    const key = `${name}|${channelAxis}`;
    const cached = this.dq.get(key);
    if (cached) return { output: cached, scales: wq.scales };
    const cdims = channelAxis === undefined ? [] : [wq.scales.length];
    const q = e.addInitializer(makeTensor(e.fresh(`${name}_quantized`), DataType.INT8, dims, wq.q));
    const s = e.addInitializer(makeTensor(e.fresh(`${name}_scale`), DataType.FLOAT, cdims, wq.scales));
    const zp = e.addInitializer(makeTensor(e.fresh(`${name}_zero_point`), DataType.INT8, cdims, wq.zeroPoints));
    const out = e.fresh(`${name}_dequantized`);
    const attrs: Record<string, AttrValue> = channelAxis === undefined ? {} : { axis: { int: channelAxis } };
    e.insertBefore(undefined, [makeNode('DequantizeLinear', [q, s, zp], [out], e.fresh(`${name}_DequantizeLinear`), attrs)]);
    this.dq.set(key, out);
    return { output: out, scales: wq.scales };
  }

  /** A Conv bias as int32 with scale input_scale * weight_scale, behind a DequantizeLinear. */
  bias(name: string, inputScale: number, weightScales: Float32Array): string {
    const e = this.editor;
    const t = e.constant(name)!;
    const b = quantizeBias(floatValues(t), inputScale, weightScales);
    const dims = tensorDims(t);
    // Per-tensor weights give one bias scale: a scalar DequantizeLinear, valid before opset 13 too.
    const perTensor = weightScales.length === 1;
    const sdims = perTensor ? [] : dims;
    const q = e.addInitializer(makeTensor(e.fresh(`${name}_quantized`), DataType.INT32, dims, b.q));
    const s = e.addInitializer(makeTensor(e.fresh(`${name}_scale`), DataType.FLOAT, sdims, perTensor ? b.scales.subarray(0, 1) : b.scales));
    const zp = e.addInitializer(makeTensor(e.fresh(`${name}_zero_point`), DataType.INT32, sdims, new Int32Array(perTensor ? 1 : b.q.length)));
    const out = e.fresh(`${name}_dequantized`);
    const attrs: Record<string, AttrValue> = perTensor ? {} : { axis: { int: 0 } };
    e.insertBefore(undefined, [makeNode('DequantizeLinear', [q, s, zp], [out], e.fresh(`${name}_DequantizeLinear`), attrs)]);
    return out;
  }
}

/** Rewrites `model` in place into QDQ form, calibrating on `options.samples`. */
export async function quantizeStatic(model: ModelProto, options: StaticQuantizeOptions): Promise<QuantizeReport> {
  const editor = new GraphEditor(model);
  editor.hoistConstants();
  const report: QuantizeReport = { quantized: [], skipped: [], notes: [] };
  // Per-channel DequantizeLinear needs opset 13; a model that cannot be raised that far gets per-tensor weights.
  const refusal = options.perChannel === false ? undefined : opsetUpgradeRefusal(editor, 13);
  const perChannel = options.perChannel !== false && refusal === undefined;
  if (refusal) report.notes.push(`per-tensor weights: ${refusal}`);
  ensureOpset(editor, perChannel ? 13 : 11);
  foldBatchNorms(editor);
  editor.removeUnusedInitializers();
  const exclude = new Set(options.exclude ?? []);
  const targets: Target[] = [];
  for (const node of editor.graph.node) {
    const t = targetOf(editor, node);
    if (t === undefined) continue;
    const label = node.name || node.op_type;
    if (node.name && exclude.has(node.name)) report.skipped.push({ node: label, reason: 'excluded (--exclude)' });
    else if (typeof t === 'string') report.skipped.push({ node: label, reason: t });
    else targets.push(t);
  }
  const activations = [...new Set(targets.flatMap((t) => [t.node.input[0], t.node.output[0]]))];
  const ranges: Map<string, ValueRange> = activations.length > 0 ? await calibrate(model, activations, options.samples, options) : new Map();
  const params = new Map([...ranges].map(([name, r]) => [name, activationParams(r.min, r.max)]));
  const w = new QdqWriter(editor, { ...options, perChannel });
  for (const t of targets) {
    const node = t.node;
    const weight = w.weight(node.input[1], t.weightAxis);
    const bias = node.input[2] ?? '';
    node.input[1] = weight.output;
    // A Conv bias becomes int32 so that the group fuses into QLinearConv; Gemm's C stays float.
    if (node.op_type === 'Conv' && bias !== '' && editor.constant(bias)?.data_type === DataType.FLOAT) {
      node.input[2] = w.bias(bias, params.get(node.input[0])!.scale, weight.scales);
    }
    report.quantized.push(node.name || node.op_type);
  }
  for (const name of activations) w.activation(name, params.get(name)!);
  editor.removeUnusedInitializers();
  return report;
}

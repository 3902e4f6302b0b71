/**
 * Dynamic int8 quantization: weights of MatMul and Gemm (and Gather embedding tables) become int8 with fixed
 * scales; activations are quantized while the model runs. Each MatMul becomes
 *
 *   DynamicQuantizeLinear(A) -> MatMulInteger(A_q, W_q, A_zp, W_zp) -> Cast(float) -> Mul(A_scale * W_scale)
 *
 * which onnxruntime's graph optimizer fuses into one DynamicQuantizeMatMul kernel (com.microsoft). Each MatMul
 * gets its own DynamicQuantizeLinear because that fusion only takes one whose outputs feed a single MatMul.
 */
import { GraphEditor, floatAttribute, intAttribute, makeNode } from './graph-edit';
import { DataType, ModelProto, NodeProto, TensorProto } from './onnx-model';
import { ensureOpset } from './opset-upgrade';
import { quantizeWeight } from './quant-params';
import { floatValues, isExternal, makeTensor, tensorDims } from './tensor-values';

export interface DynamicQuantizeOptions {
  /** One scale per output column of each weight rather than one per weight. */
  readonly perChannel?: boolean;
  /** 7-bit weights (see reduce-range.ts). */
  readonly reduceRange?: boolean;
  /** Names of nodes to keep in float. */
  readonly exclude?: readonly string[];
}

export interface QuantizeReport {
  /** Nodes rewritten, by name. */
  readonly quantized: string[];
  /** Candidate nodes left in float, with the reason. */
  readonly skipped: Array<{ node: string; reason: string }>;
  /** Choices made for the whole model (a fallback taken), one line each. */
  readonly notes: string[];
}

interface QuantizedWeight {
  q: string;
  scale: string;
  zeroPoint: string;
}

/** A 2-D float weight held by an initializer, as [K, N] values (transposed when `transpose`). */
function weightMatrix(t: TensorProto, transpose: boolean): { values: Float32Array; dims: [number, number] } | string {
  if (t.data_type !== DataType.FLOAT) return 'its weight is not float32';
  if (isExternal(t)) return 'its weight is stored as external data';
  const dims = tensorDims(t);
  if (dims.length !== 2) return `its weight has rank ${dims.length}, not 2`;
  const values = floatValues(t);
  if (!transpose) return { values, dims: [dims[0], dims[1]] };
  const [n, k] = dims;
  const out = new Float32Array(values.length);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) out[j * n + i] = values[i * k + j];
  return { values: out, dims: [k, n] };
}

class DynamicQuantizer {
  private readonly weights = new Map<string, QuantizedWeight>();
  readonly report: QuantizeReport = { quantized: [], skipped: [], notes: [] };

  constructor(
    private readonly editor: GraphEditor,
    private readonly options: DynamicQuantizeOptions,
  ) {}

  private skip(node: NodeProto, reason: string): void {
    this.report.skipped.push({ node: node.name || node.op_type, reason });
  }

  /** int8 weight, scale and zero point initializers, made once per distinct weight (and layout). */
  private quantizedWeight(key: string, base: string, values: Float32Array, dims: number[], axis: number | undefined, scaleFactor = 1): QuantizedWeight {
    const cached = this.weights.get(key);
    if (cached) return cached;
    const wq = quantizeWeight(values, dims, { axis, reduceRange: this.options.reduceRange });
    const channelDims = axis === undefined ? [] : [wq.scales.length];
    const e = this.editor;
    const made = {
      q: e.addInitializer(makeTensor(e.fresh(`${base}_quantized`), DataType.INT8, dims, wq.q)),
      scale: e.addInitializer(makeTensor(e.fresh(`${base}_scale`), DataType.FLOAT, channelDims, Float32Array.from(wq.scales, (s) => s * scaleFactor))),
      zeroPoint: e.addInitializer(makeTensor(e.fresh(`${base}_zero_point`), DataType.INT8, channelDims, wq.zeroPoints)),
    };
    this.weights.set(key, made);
    return made;
  }

  /** The DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul chain computing A x W into `output`. */
  private matMulChain(base: string, a: string, w: QuantizedWeight, output: string): NodeProto[] {
    const e = this.editor;
    const aq = e.fresh(`${a}_quantized_${base}`);
    const as = e.fresh(`${a}_scale_${base}`);
    const azp = e.fresh(`${a}_zero_point_${base}`);
    const scale = e.fresh(`${base}_scale_product`);
    const int32 = e.fresh(`${base}_int32`);
    const f = e.fresh(`${base}_float`);
    return [
      makeNode('DynamicQuantizeLinear', [a], [aq, as, azp], e.fresh(`${base}_DynamicQuantizeLinear`)),
      makeNode('Mul', [as, w.scale], [scale], e.fresh(`${base}_scale_Mul`)),
      makeNode('MatMulInteger', [aq, w.q, azp, w.zeroPoint], [int32], e.fresh(`${base}_MatMulInteger`)),
      makeNode('Cast', [int32], [f], e.fresh(`${base}_Cast`), { to: { int: DataType.FLOAT } }),
      makeNode('Mul', [f, scale], [output], e.fresh(`${base}_output_Mul`)),
    ];
  }

  matMul(node: NodeProto): void {
    const t = this.editor.constant(node.input[1]);
    if (!t) return this.skip(node, 'its second input is not a constant weight');
    if (this.editor.constant(node.input[0])) return this.skip(node, 'both inputs are constant');
    const m = weightMatrix(t, false);
    if (typeof m === 'string') return this.skip(node, m);
    const axis = this.options.perChannel ? 1 : undefined;
    const w = this.quantizedWeight(`${node.input[1]}|${axis}`, node.input[1], m.values, m.dims, axis);
    const base = node.name || 'MatMul';
    this.editor.replaceNode(node, this.matMulChain(base, node.input[0], w, node.output[0]));
    this.report.quantized.push(base);
  }

  gemm(node: NodeProto): void {
    const e = this.editor;
    if (intAttribute(node, 'transA', 0) !== 0) return this.skip(node, 'it transposes A');
    const t = e.constant(node.input[1]);
    if (!t) return this.skip(node, 'its B input is not a constant weight');
    const transB = intAttribute(node, 'transB', 0) !== 0;
    const m = weightMatrix(t, transB);
    if (typeof m === 'string') return this.skip(node, m);
    const alpha = floatAttribute(node, 'alpha', 1);
    const beta = floatAttribute(node, 'beta', 1);
    const axis = this.options.perChannel ? 1 : undefined;
    // alpha folds into the weight scale: alpha * (A x W) = A x (alpha * W).
    const w = this.quantizedWeight(`${node.input[1]}|${axis}|${transB}|${alpha}`, node.input[1], m.values, m.dims, axis, alpha);
    const base = node.name || 'Gemm';
    const c = node.input[2] ?? '';
    if (c === '') {
      e.replaceNode(node, this.matMulChain(base, node.input[0], w, node.output[0]));
    } else {
      const product = e.fresh(`${base}_product`);
      const chain = this.matMulChain(base, node.input[0], w, product);
      let bias = c;
      if (beta !== 1) {
        const ct = e.constant(c);
        if (ct && ct.data_type === DataType.FLOAT) {
          bias = e.addFloatConstant(`${c}_beta`, tensorDims(ct), Float32Array.from(floatValues(ct), (v) => v * beta));
        } else {
          bias = e.fresh(`${base}_bias_beta`);
          chain.push(makeNode('Mul', [c, e.addFloatConstant(`${base}_beta`, [], [beta])], [bias], e.fresh(`${base}_beta_Mul`)));
        }
      }
      chain.push(makeNode('Add', [product, bias], [node.output[0]], e.fresh(`${base}_bias_Add`)));
      e.replaceNode(node, chain);
    }
    this.report.quantized.push(base);
  }

  /** An embedding lookup: Gather the int8 rows, then DequantizeLinear them (one scale for the table). */
  gather(node: NodeProto): void {
    const e = this.editor;
    const t = e.constant(node.input[0]);
    if (!t || t.data_type !== DataType.FLOAT || isExternal(t)) return; // not an embedding table: not a candidate
    if (intAttribute(node, 'axis', 0) !== 0) return this.skip(node, 'it gathers along an axis other than 0');
    const dims = tensorDims(t);
    if (dims.length < 2) return; // a small lookup vector, not an embedding table
    const w = this.quantizedWeight(`${node.input[0]}|gather`, node.input[0], floatValues(t), dims, undefined);
    const base = node.name || 'Gather';
    const rows = e.fresh(`${base}_quantized_rows`);
    e.replaceNode(node, [
      makeNode('Gather', [w.q, node.input[1]], [rows], e.fresh(`${base}_quantized`), { axis: { int: 0 } }),
      makeNode('DequantizeLinear', [rows, w.scale, w.zeroPoint], [node.output[0]], e.fresh(`${base}_DequantizeLinear`)),
    ]);
    this.report.quantized.push(base);
  }
}

/** Rewrites `model` in place; returns which nodes were quantized and which were not, and why. */
export function quantizeDynamic(model: ModelProto, options: DynamicQuantizeOptions = {}): QuantizeReport {
  const editor = new GraphEditor(model);
  editor.hoistConstants();
  ensureOpset(editor, 11);
  const exclude = new Set(options.exclude ?? []);
  const q = new DynamicQuantizer(editor, options);
  for (const node of [...editor.graph.node]) {
    if ((node.domain ?? '') !== '') continue;
    if (!['MatMul', 'Gemm', 'Gather'].includes(node.op_type)) continue;
    if (node.name && exclude.has(node.name)) {
      q.report.skipped.push({ node: node.name, reason: 'excluded (--exclude)' });
      continue;
    }
    if (node.op_type === 'MatMul') q.matMul(node);
    else if (node.op_type === 'Gemm') q.gemm(node);
    else q.gather(node);
  }
  editor.removeUnusedInitializers();
  return q.report;
}

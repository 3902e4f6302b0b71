/**
 * Folds an inference-mode BatchNormalization into the Conv before it: W' = W * g and b' = (b - mean) * g + beta
 * per output channel, with g = gamma / sqrt(var + epsilon). Quantizing the Conv's raw output before the
 * normalization would spend the 256 levels on a range the normalization then shrinks (PaddleOCR's detector has
 * variances near 1e8), so static quantization folds first, as onnxruntime's own pre-processing does.
 */
import { GraphEditor, floatAttribute, intAttribute } from './graph-edit';
import { DataType, NodeProto } from './onnx-model';
import { floatTensor, floatValues, tensorDims } from './tensor-values';

function foldable(editor: GraphEditor, conv: NodeProto, bn: NodeProto): boolean {
  if (conv.op_type !== 'Conv' || (conv.domain ?? '') !== '' || bn.output.filter((o) => o !== '').length !== 1) return false;
  if (intAttribute(bn, 'training_mode', 0) !== 0) return false;
  const out = conv.output[0];
  if (editor.isGraphOutput(out) || editor.readBySubgraph(out) || editor.consumers(out).length !== 1) return false;
  const params = [conv.input[1], ...bn.input.slice(1, 5), ...(conv.input[2] ? [conv.input[2]] : [])];
  return params.every((p) => editor.constant(p)?.data_type === DataType.FLOAT);
}

/** Folds every Conv -> BatchNormalization pair it can; returns how many it folded. */
export function foldBatchNorms(editor: GraphEditor): number {
  let folded = 0;
  for (const bn of [...editor.graph.node]) {
    if (bn.op_type !== 'BatchNormalization' || (bn.domain ?? '') !== '') continue;
    const conv = editor.producer(bn.input[0]);
    if (!conv || !foldable(editor, conv, bn)) continue;
    const w = editor.constant(conv.input[1])!;
    const dims = tensorDims(w);
    const weights = floatValues(w);
    const [gamma, beta, mean, variance] = bn.input.slice(1, 5).map((n) => floatValues(editor.constant(n)!));
    const channels = dims[0];
    const bias = conv.input[2] ? floatValues(editor.constant(conv.input[2])!) : new Float32Array(channels);
    const eps = floatAttribute(bn, 'epsilon', 1e-5);
    const per = weights.length / channels;
    const newW = new Float32Array(weights.length);
    const newB = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const g = gamma[c] / Math.sqrt(variance[c] + eps);
      for (let i = 0; i < per; i++) newW[c * per + i] = weights[c * per + i] * g;
      newB[c] = (bias[c] - mean[c]) * g + beta[c];
    }
    const base = conv.name || 'Conv';
    conv.input[1] = editor.addInitializer(floatTensor(editor.fresh(`${base}_folded_weight`), dims, newW));
    conv.input[2] = editor.addInitializer(floatTensor(editor.fresh(`${base}_folded_bias`), [channels], newB));
    conv.output[0] = bn.output[0];
    editor.graph.node.splice(editor.graph.node.indexOf(bn), 1);
    folded++;
  }
  return folded;
}

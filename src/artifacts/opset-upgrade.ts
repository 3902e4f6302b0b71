/**
 * Raises a model's default-domain opset to what the inserted operators need (DynamicQuantizeLinear: 11;
 * per-channel DequantizeLinear: 13). Raising the number alone would change what older nodes mean, so the
 * nodes whose signature changed on the way are rewritten (attributes that became inputs), and a model with a
 * node whose meaning changed in a way this cannot translate is refused, before anything changes, with the node
 * named.
 */
import { GraphEditor, getAttribute, intAttribute, intsAttribute, removeAttribute } from './graph-edit';
import { NodeProto, int64ToNumber, opsetVersion, setOpsetVersion } from './onnx-model';

const FLOAT_LOWEST = -3.4028234663852886e38;


/** Moves an ints attribute to an int64 input at `index` (appending '' for skipped optional inputs). */
function attributeToInput(editor: GraphEditor, node: NodeProto, attr: string, index: number): void {
  const values = intsAttribute(node, attr);
  removeAttribute(node, attr);
  if (values === undefined) return;
  while (node.input.length < index) node.input.push('');
  node.input[index] = editor.addInt64Constant(`${node.name || node.op_type}_${attr}`, [values.length], values);
}


function upgradeTo11(editor: GraphEditor, node: NodeProto, from: number): void {
  switch (node.op_type) {
    case 'Slice':
      if (from < 10) {
        const starts = intsAttribute(node, 'starts') ?? [];
        const ends = intsAttribute(node, 'ends') ?? [];
        const axes = intsAttribute(node, 'axes');
        for (const a of ['starts', 'ends', 'axes']) removeAttribute(node, a);
        const base = node.name || 'Slice';
        node.input = [
          node.input[0],
          editor.addInt64Constant(`${base}_starts`, [starts.length], starts),
          editor.addInt64Constant(`${base}_ends`, [ends.length], ends),
          ...(axes ? [editor.addInt64Constant(`${base}_axes`, [axes.length], axes)] : []),
        ];
      }
      return;
    case 'TopK':
      if (from < 10) {
        const k = intAttribute(node, 'k', -1);
        removeAttribute(node, 'k');
        node.input = [node.input[0], editor.addInt64Constant(`${node.name || 'TopK'}_k`, [1], [k])];
      }
      return;
    case 'Clip': {
      const min = getAttribute(node, 'min')?.f;
      const max = getAttribute(node, 'max')?.f;
      removeAttribute(node, 'min');
      removeAttribute(node, 'max');
      const base = node.name || 'Clip';
      // Clip-11 takes the bounds as inputs of the input's type; these models are float32 where this runs.
      node.input = [
        node.input[0],
        editor.addFloatConstant(`${base}_min`, [], [min ?? FLOAT_LOWEST]),
        ...(max !== undefined ? [editor.addFloatConstant(`${base}_max`, [], [max])] : []),
      ];
      return;
    }
    case 'Pad': {
      const pads = intsAttribute(node, 'pads') ?? [];
      const value = getAttribute(node, 'value')?.f ?? 0;
      removeAttribute(node, 'pads');
      removeAttribute(node, 'value');
      const base = node.name || 'Pad';
      node.input = [node.input[0], editor.addInt64Constant(`${base}_pads`, [pads.length], pads), editor.addFloatConstant(`${base}_value`, [], [value])];
      return;
    }
    default:
      return;
  }
}

function upgradeTo13(editor: GraphEditor, node: NodeProto): void {
  switch (node.op_type) {
    case 'Squeeze':
    case 'Unsqueeze':
    case 'ReduceSum':
      attributeToInput(editor, node, 'axes', 1);
      return;
    case 'Split':
      attributeToInput(editor, node, 'split', 1);
      return;
    default:
      return;
  }
}

/** Why the model's opset cannot be raised to `target`, or undefined when it can. Changes nothing. */
export function opsetUpgradeRefusal(editor: GraphEditor, target: number): string | undefined {
  const from = opsetVersion(editor.model);
  if (from >= target) return undefined;
  if (from < 7) return `the model's opset ${from} is too old to rewrite (7 or newer is needed)`;
  for (const node of editor.graph.node) {
    if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') continue;
    const why = refusalOf(node, from, target);
    if (why) return `cannot raise the opset from ${from} to ${target}: node '${node.name}' (${node.op_type}) ${why}`;
  }
  return undefined;
}

function refusalOf(node: NodeProto, from: number, target: number): string | undefined {
  if (from < 11 && (node.op_type === 'Upsample' || node.op_type === 'Scatter')) return 'is deprecated at opset 11';
  if (from === 10 && node.op_type === 'Resize') return 'changed its inputs (roi) at opset 11';
  if (target >= 13 && ['Softmax', 'LogSoftmax', 'Hardmax'].includes(node.op_type)) {
    // Before 13 these flatten to 2-D at `axis` (default 1); from 13 they work on one axis. Same only at -1.
    const a = getAttribute(node, 'axis');
    if (!a || int64ToNumber(a.i) !== -1) return 'uses an axis other than -1, whose meaning changed at opset 13';
  }
  return undefined;
}

/** Raises the default-domain opset of the model to at least `target` (11 or 13); throws, changing nothing, when it cannot. */
export function ensureOpset(editor: GraphEditor, target: number): void {
  const from = opsetVersion(editor.model);
  if (from >= target) return;
  const refusal = opsetUpgradeRefusal(editor, target);
  if (refusal) throw new Error(refusal);
  for (const node of [...editor.graph.node]) {
    if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') continue;
    if (from < 11) upgradeTo11(editor, node, from);
    if (target >= 13) upgradeTo13(editor, node);
  }
  setOpsetVersion(editor.model, target);
  // IR 7 is the first that allows opset 13.
  if (int64ToNumber(editor.model.ir_version) < 7) editor.model.ir_version = 7;
}

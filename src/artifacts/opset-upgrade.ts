/**
 * Raises a model's default-domain opset to what the inserted operators need (DynamicQuantizeLinear: 11;
 * per-channel DequantizeLinear: 13). Raising the number alone would change what older nodes mean, so the
 * nodes whose signature changed on the way are rewritten (attributes that became inputs), and a model with a
 * node whose meaning changed in a way this cannot translate is refused with the node named.
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

function refuse(node: NodeProto, from: number, to: number, why: string): never {
  throw new Error(`cannot raise the opset from ${from} to ${to}: node '${node.name}' (${node.op_type}) ${why}`);
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
    case 'Upsample':
    case 'Scatter':
      return refuse(node, from, 11, 'is deprecated there');
    case 'Resize':
      if (from === 10) return refuse(node, from, 11, 'changed its inputs (roi) at opset 11');
      return;
    default:
      return;
  }
}

function upgradeTo13(editor: GraphEditor, node: NodeProto, from: number): void {
  switch (node.op_type) {
    case 'Squeeze':
    case 'Unsqueeze':
    case 'ReduceSum':
      attributeToInput(editor, node, 'axes', 1);
      return;
    case 'Split':
      attributeToInput(editor, node, 'split', 1);
      return;
    case 'Softmax':
    case 'LogSoftmax':
    case 'Hardmax': {
      // Before 13 these flatten to 2-D at `axis` (default 1); from 13 they work on one axis. Same only at -1.
      const a = getAttribute(node, 'axis');
      if (!a || int64ToNumber(a.i) !== -1) return refuse(node, from, 13, 'uses an axis other than -1, whose meaning changed at opset 13');
      return;
    }
    default:
      return;
  }
}

/** Raises the default-domain opset of the model to at least `target` (11 or 13). */
export function ensureOpset(editor: GraphEditor, target: number): void {
  const from = opsetVersion(editor.model);
  if (from >= target) return;
  if (from < 7) throw new Error(`the model's opset ${from} is too old to rewrite (7 or newer is needed)`);
  const nodes = [...editor.graph.node];
  for (const node of nodes) {
    if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') continue;
    if (from < 11) upgradeTo11(editor, node, from);
    if (target >= 13) upgradeTo13(editor, node, from);
  }
  setOpsetVersion(editor.model, target);
  // IR 7 is the first that allows opset 13.
  if (int64ToNumber(editor.model.ir_version) < 7) editor.model.ir_version = 7;
}



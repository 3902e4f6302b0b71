/**
 * Element types of a graph's values, as far as the rewrites need them: declared ones (inputs, initializers,
 * value_info, outputs) first, then each node's outputs by a small table of operator type rules. This is not
 * ONNX shape inference; a value it cannot type (the outputs of an If or Loop without value_info) stays unknown,
 * and the rewrites leave unknown values alone.
 */
import { getAttribute, intAttribute } from './graph-edit';
import { DataType, GraphProto, NodeProto } from './onnx-model';

const INT64_OUTPUT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);
const BOOL_OUTPUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN', 'IsInf']);
/** Operators with a `dtype` attribute that defaults to float. */
const DTYPE_OUTPUT = new Set(['RandomNormal', 'RandomUniform', 'EyeLike', 'RandomNormalLike', 'RandomUniformLike']);

function constantType(node: NodeProto): number | undefined {
  const a = node.attribute?.[0];
  if (!a) return undefined;
  if (a.name === 'value') return a.t?.data_type;
  if (a.name === 'value_float' || a.name === 'value_floats') return DataType.FLOAT;
  if (a.name === 'value_int' || a.name === 'value_ints') return DataType.INT64;
  if (a.name === 'value_string' || a.name === 'value_strings') return DataType.STRING;
  return undefined;
}

/** The element types of `node`'s outputs, given its inputs' (`typeOf`); undefined where not known. */
export function nodeOutputTypes(node: NodeProto, typeOf: (name: string) => number | undefined): Array<number | undefined> {
  const first = typeOf(node.input[0] ?? '');
  const op = node.op_type;
  const all = (t: number | undefined) => node.output.map(() => t);
  if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') {
    if (node.domain === 'com.microsoft' && op === 'DynamicQuantizeMatMul') return [DataType.FLOAT];
    return all(undefined);
  }
  if (INT64_OUTPUT.has(op)) return all(DataType.INT64);
  if (BOOL_OUTPUT.has(op)) return all(DataType.BOOL);
  if (DTYPE_OUTPUT.has(op)) {
    const d = getAttribute(node, 'dtype');
    return all(d ? intAttribute(node, 'dtype', DataType.FLOAT) : op.endsWith('Like') ? first : DataType.FLOAT);
  }
  switch (op) {
    case 'Cast':
      return [intAttribute(node, 'to', 0) || undefined];
    case 'CastLike':
      return [typeOf(node.input[1])];
    case 'Constant':
      return [constantType(node)];
    case 'ConstantOfShape':
      return [getAttribute(node, 'value')?.t?.data_type ?? DataType.FLOAT];
    case 'TopK':
    case 'MaxPool':
      return node.output.map((_, i) => (i === 0 ? first : DataType.INT64));
    case 'Unique':
      return node.output.map((_, i) => (i === 0 ? first : DataType.INT64));
    case 'DequantizeLinear':
      return [typeOf(node.input[1]) ?? DataType.FLOAT];
    case 'QuantizeLinear':
      return [node.input[2] ? typeOf(node.input[2]) : DataType.UINT8];
    case 'DynamicQuantizeLinear':
      return [DataType.UINT8, DataType.FLOAT, DataType.UINT8];
    case 'MatMulInteger':
    case 'ConvInteger':
      return [DataType.INT32];
    case 'Where':
      return [typeOf(node.input[1])];
    case 'OneHot':
      return [typeOf(node.input[2])];
    case 'If':
    case 'Loop':
    case 'Scan':
      return all(undefined);
    default:
      return all(first);
  }
}

/** Element type of every value of the main graph that can be typed. */
export function inferElemTypes(graph: GraphProto): Map<string, number> {
  const types = new Map<string, number>();
  const declared = (name: string, t: number | undefined) => {
    if (t) types.set(name, t);
  };
  for (const v of [...graph.input, ...graph.value_info, ...graph.output]) declared(v.name, v.type?.tensor_type?.elem_type);
  for (const t of graph.initializer) declared(t.name ?? '', t.data_type);
  for (const node of graph.node) {
    const out = nodeOutputTypes(node, (n) => types.get(n));
    node.output.forEach((o, i) => {
      if (o !== '' && !types.has(o) && out[i] !== undefined) types.set(o, out[i]!);
    });
  }
  return types;
}

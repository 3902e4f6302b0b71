/**
 * Helpers the rewrites share: constants, consumers, fresh names, node and attribute construction, and the
 * clean-up of initializers nothing reads any more. They edit the main graph in place; sub-graphs (If, Loop,
 * Scan bodies) are read, to learn which outer names they use, but never rewritten.
 */
import { AttributeProto, AttributeType, GraphProto, ModelProto, NodeProto, TensorProto, int64ToNumber } from './onnx-model';
import { floatTensor, int64Tensor } from './tensor-values';

export type AttrValue =
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { tensor: TensorProto };

export function makeAttribute(name: string, value: AttrValue): AttributeProto {
  if ('int' in value) return { name, type: AttributeType.INT, i: value.int };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: [...value.ints] };
  if ('floats' in value) return { name, type: AttributeType.FLOATS, floats: [...value.floats] };
  return { name, type: AttributeType.TENSOR, t: value.tensor };
}

export function getAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

export function intAttribute(node: NodeProto, name: string, fallback: number): number {
  const a = getAttribute(node, name);
  return a?.i !== undefined ? int64ToNumber(a.i) : fallback;
}

export function floatAttribute(node: NodeProto, name: string, fallback: number): number {
  return getAttribute(node, name)?.f ?? fallback;
}

export function intsAttribute(node: NodeProto, name: string): number[] | undefined {
  const a = getAttribute(node, name);
  return a ? (a.ints ?? []).map((v) => int64ToNumber(v)) : undefined;
}

export function removeAttribute(node: NodeProto, name: string): void {
  if (node.attribute) node.attribute = node.attribute.filter((a) => a.name !== name);
}

export function setAttribute(node: NodeProto, name: string, value: AttrValue): void {
  removeAttribute(node, name);
  (node.attribute ??= []).push(makeAttribute(name, value));
}

export function makeNode(opType: string, inputs: string[], outputs: string[], name: string, attrs: Record<string, AttrValue> = {}, domain?: string): NodeProto {
  const node: NodeProto = { input: inputs, output: outputs, name, op_type: opType, attribute: Object.entries(attrs).map(([k, v]) => makeAttribute(k, v)) };
  if (domain !== undefined) node.domain = domain;
  return node;
}

/** Every value name the nodes of `graph` and of its sub-graphs read. */
function readNames(graph: GraphProto, into: Set<string>): void {
  for (const node of graph.node) {
    for (const i of node.input) if (i !== '') into.add(i);
    for (const a of node.attribute ?? []) {
      if (a.g) readNames(a.g as GraphProto, into);
      for (const g of a.graphs ?? []) readNames(g as GraphProto, into);
    }
  }
}

function hasSubgraph(node: NodeProto): boolean {
  return (node.attribute ?? []).some((a) => a.g !== undefined || (a.graphs?.length ?? 0) > 0);
}

export class GraphEditor {
  readonly graph: GraphProto;
  private readonly taken = new Set<string>();
  private inits = new Map<string, TensorProto>();

  constructor(readonly model: ModelProto) {
    this.graph = model.graph;
    for (const k of ['node', 'initializer', 'input', 'output', 'value_info'] as const) this.graph[k] ??= [];
    const names = new Set<string>();
    readNames(this.graph, names);
    for (const n of this.graph.node) {
      for (const o of n.output) names.add(o);
      if (n.name) names.add(n.name);
    }
    for (const t of this.graph.initializer) names.add(t.name ?? '');
    for (const v of [...this.graph.input, ...this.graph.output, ...this.graph.value_info]) names.add(v.name);
    for (const n of names) this.taken.add(n);
    this.reindex();
  }

  private reindex(): void {
    this.inits = new Map(this.graph.initializer.map((t) => [t.name ?? '', t]));
  }

  /** A name no value, node or initializer uses yet, claimed. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  initializer(name: string): TensorProto | undefined {
    return this.inits.get(name);
  }

  /** The initializer behind a name unless a graph input of the same name lets callers override it. */
  constant(name: string): TensorProto | undefined {
    const t = this.inits.get(name);
    if (!t) return undefined;
    return this.graph.input.some((i) => i.name === name) ? undefined : t;
  }

  addInitializer(t: TensorProto): string {
    this.graph.initializer.push(t);
    this.inits.set(t.name ?? '', t);
    return t.name ?? '';
  }

  addFloatConstant(base: string, dims: readonly number[], values: ArrayLike<number>): string {
    return this.addInitializer(floatTensor(this.fresh(base), dims, values));
  }

  addInt64Constant(base: string, dims: readonly number[], values: readonly number[]): string {
    return this.addInitializer(int64Tensor(this.fresh(base), dims, values));
  }

  isGraphOutput(name: string): boolean {
    return this.graph.output.some((o) => o.name === name);
  }

  /** The nodes of the main graph that read `name`. */
  consumers(name: string): NodeProto[] {
    return this.graph.node.filter((n) => n.input.includes(name));
  }

  /** Whether a sub-graph reads `name` from the outer scope (then it must keep its name and type). */
  readBySubgraph(name: string): boolean {
    const names = new Set<string>();
    for (const n of this.graph.node) {
      if (!hasSubgraph(n)) continue;
      for (const a of n.attribute ?? []) {
        if (a.g) readNames(a.g as GraphProto, names);
        for (const g of a.graphs ?? []) readNames(g as GraphProto, names);
      }
    }
    return names.has(name);
  }

  producer(name: string): NodeProto | undefined {
    return this.graph.node.find((n) => n.output.includes(name));
  }

  /** Puts `replacement` where `node` stood, keeping the node list in topological order. */
  replaceNode(node: NodeProto, replacement: NodeProto[]): void {
    const at = this.graph.node.indexOf(node);
    if (at < 0) throw new Error(`node ${node.name} is not in the graph`);
    this.graph.node.splice(at, 1, ...replacement);
  }

  /** Inserts nodes right before `node` (or at the front when it is undefined). */
  insertBefore(node: NodeProto | undefined, nodes: NodeProto[]): void {
    const at = node ? this.graph.node.indexOf(node) : 0;
    this.graph.node.splice(Math.max(at, 0), 0, ...nodes);
  }

  /** Inserts nodes right after the node that produces `name` (or at the front for graph inputs and initializers). */
  insertAfterProducer(name: string, nodes: NodeProto[]): void {
    const p = this.producer(name);
    const at = p ? this.graph.node.indexOf(p) + 1 : 0;
    this.graph.node.splice(at, 0, ...nodes);
  }

  /**
   * Constant nodes become initializers, so one lookup finds every constant weight (exporters such as
   * paddle2onnx put all weights in Constant nodes). Same values, same names: the model computes the same.
   */
  hoistConstants(): void {
    const kept: NodeProto[] = [];
    for (const node of this.graph.node) {
      const t = node.op_type === 'Constant' && (node.domain ?? '') === '' ? constantTensor(node) : undefined;
      if (!t) {
        kept.push(node);
        continue;
      }
      t.name = node.output[0];
      this.graph.initializer.push(t);
    }
    this.graph.node = kept;
    this.reindex();
  }

  /** Drops initializers that no node (here or in a sub-graph) and no graph output reads. */
  removeUnusedInitializers(): void {
    const used = new Set<string>(this.graph.output.map((o) => o.name));
    readNames(this.graph, used);
    this.graph.initializer = this.graph.initializer.filter((t) => used.has(t.name ?? ''));
    this.reindex();
  }
}

function constantTensor(node: NodeProto): TensorProto | undefined {
  const a = node.attribute?.[0];
  if (!a || node.attribute!.length !== 1) return undefined;
  switch (a.name) {
    case 'value':
      return a.t ? { ...a.t } : undefined;
    case 'value_float':
      return floatTensor('', [], [a.f ?? 0]);
    case 'value_floats':
      return floatTensor('', [a.floats?.length ?? 0], a.floats ?? []);
    case 'value_int':
      return int64Tensor('', [], [int64ToNumber(a.i)]);
    case 'value_ints':
      return int64Tensor('', [a.ints?.length ?? 0], (a.ints ?? []).map((v) => int64ToNumber(v)));
    default:
      return undefined; // strings and sparse values stay Constant nodes
  }
}



/**
 * The rows <-> requests step of a batch job: --batch-rows merges consecutive rows into one request along the
 * first (batch) dimension and splits the answer back per row; each row's answer becomes its output line.
 */
import { DataTypeName, NumericArray, TensorData, dataTypeByName } from '../codec/dtypes';
import { stringifyJson } from '../codec/json-text';
import { tensorJsonValues } from '../codec/json-tensor';
import type { ClientTensor, ModelInfo, OutputTensor, PredictResult } from './amaas-client';
import type { RowInputs } from './batch-rows';

/** Whether rows may be merged for this model: every input and output has a variable first dimension. */
export function batchesOnFirstDim(model: ModelInfo): boolean {
  return [...model.inputs, ...model.outputs].every((t) => t.shape.length > 0 && t.shape[0] < 0);
}

/**
 * Rows with the same key can be concatenated along dimension 0: the same inputs, datatypes and dimensions
 * after the first, and one first dimension shared by all a row's inputs. null: the row travels alone.
 */
export function mergeKey(row: RowInputs): string | null {
  const names = Object.keys(row.inputs).sort();
  if (names.length === 0) return null;
  const first = row.inputs[names[0]].dims[0];
  const parts: string[] = [];
  for (const name of names) {
    const t = row.inputs[name];
    if (t.dims.length === 0 || t.dims[0] !== first) return null;
    parts.push(`${name}\u0000${t.datatype}\u0000${t.dims.slice(1).join(',')}`);
  }
  return parts.join('\u0001');
}

/** The rows' first dimensions, in order: how the merged answer is split again. */
export function rowSizes(rows: readonly RowInputs[]): number[] {
  return rows.map((r) => Object.values(r.inputs)[0].dims[0]);
}

function concat(datatype: DataTypeName, parts: readonly TensorData[]): TensorData {
  if (datatype === 'BYTES') return (parts as string[][]).flat();
  const info = dataTypeByName(datatype)!;
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new info.array!(total);
  let at = 0;
  for (const p of parts as NumericArray[]) {
    (out as { set(a: ArrayLike<unknown>, at: number): void }).set(p, at);
    at += p.length;
  }
  return out;
}

/** One request holding the rows (all of one mergeKey) one after another along dimension 0. */
export function mergeRows(rows: readonly RowInputs[]): Record<string, ClientTensor> {
  if (rows.length === 1) return rows[0].inputs;
  const merged: Record<string, ClientTensor> = {};
  for (const [name, t] of Object.entries(rows[0].inputs)) {
    const first = rows.reduce((n, r) => n + r.inputs[name].dims[0], 0);
    merged[name] = {
      datatype: t.datatype,
      dims: [first, ...t.dims.slice(1)],
      data: concat(t.datatype!, rows.map((r) => r.inputs[name].data)),
    };
  }
  return merged;
}

/**
 * The answer to a merged request, split per row (each output sliced along dimension 0 by the rows' sizes);
 * null when an output's first dimension does not follow the rows (a model that does not batch that way).
 */
export function splitOutputs(outputs: Record<string, OutputTensor>, sizes: readonly number[]): Record<string, OutputTensor>[] | null {
  if (sizes.length === 1) return [outputs];
  const total = sizes.reduce((a, b) => a + b, 0);
  const perRow: Record<string, OutputTensor>[] = sizes.map(() => ({}));
  for (const [name, t] of Object.entries(outputs)) {
    if (t.dims.length === 0 || t.dims[0] !== total) return null;
    const rowElements = t.dims.slice(1).reduce((a, b) => a * b, 1);
    let at = 0;
    sizes.forEach((size, i) => {
      const from = at * rowElements;
      const to = (at + size) * rowElements;
      const data = Array.isArray(t.data) ? t.data.slice(from, to) : (t.data as NumericArray).subarray(from, to);
      perRow[i][name] = { datatype: t.datatype, dims: [size, ...t.dims.slice(1)], data };
      at += size;
    });
  }
  return perRow;
}

/** `amaas predict`'s output object, after `"line": N`. */
export function resultLine(line: number, result: Pick<PredictResult, 'modelName' | 'modelVersion'>, outputs: Record<string, OutputTensor>): string {
  const shown: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(outputs)) {
    shown[name] = { datatype: t.datatype, shape: t.dims, data: tensorJsonValues({ name, datatype: dataTypeByName(t.datatype)!, shape: t.dims, data: t.data }) };
  }
  return `${stringifyJson({ line, model_name: result.modelName, model_version: result.modelVersion, outputs: shown })}\n`;
}

export function errorLine(line: number, code: string, message: string): string {
  return `${JSON.stringify({ line, error: { code, message } })}\n`;
}

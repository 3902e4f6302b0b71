/**
 * A model version's signature: its inputs and outputs with amaas datatypes, read from the session when it
 * loads. A model whose inputs or outputs amaas cannot carry (sequences, maps, bfloat16) fails to load with a
 * message that names them, rather than failing on every request.
 */
import { DataTypeInfo, dataTypeByOrt } from '../codec/dtypes';
import { AmaasError } from '../errors';
import type { IoMetadata, SessionDescription } from '../pool/messages';

export interface TensorSpec {
  readonly name: string;
  readonly datatype: DataTypeInfo;
  /** -1 marks a dynamic dimension; [] when onnxruntime reports no shape (scalar or unknown rank). */
  readonly shape: readonly number[];
}

export interface ModelSignature {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly inputsByName: ReadonlyMap<string, TensorSpec>;
  readonly outputsByName: ReadonlyMap<string, TensorSpec>;
  readonly outputNames: readonly string[];
}

function toSpec(kind: string, m: IoMetadata): TensorSpec {
  const datatype = dataTypeByOrt(m.type);
  if (!datatype) {
    throw new AmaasError(
      'AMAAS_ERR_MODEL_LOAD_FAILED',
      `${kind} '${m.name}' has type ${m.type}, which amaas cannot serve (tensors of bool, integer, float16/32/64 and string types only)`,
    );
  }
  return { name: m.name, datatype, shape: m.shape };
}

export function signatureOf(description: SessionDescription): ModelSignature {
  const inputs = description.inputs.map((m) => toSpec('input', m));
  const outputs = description.outputs.map((m) => toSpec('output', m));
  return {
    inputs,
    outputs,
    inputsByName: new Map(inputs.map((s) => [s.name, s])),
    outputsByName: new Map(outputs.map((s) => [s.name, s])),
    outputNames: outputs.map((s) => s.name),
  };
}

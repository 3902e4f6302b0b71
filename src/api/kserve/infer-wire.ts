/**
 * ModelInferRequest/ModelInferResponse <-> the service's InferenceRequest/InferenceResult, through the shared
 * codec. Inputs come typed (`contents`) or raw (`raw_input_contents`, never both); a raw request, or an FP16
 * output (which has no typed field), is answered with raw_output_contents.
 */
import { dataTypeByName } from '../../codec/dtypes';
import { InputTensor, borrowRaw, decodeTyped, encodeRaw, encodeTyped, parseShape } from '../../codec/tensor-codec';
import { AmaasError } from '../../errors';
import { quoted } from '../../errors-format';
import type { Priority } from '../../scheduling/scheduler';
import type { Identity } from '../../security';
import type { InferenceRequest, InferenceResult } from '../../service/inference-service';
import { assertResponseFits } from '../response-size';
import { throwIfMalformed } from '../wire-decoder';
import { inferPriority } from './infer-parameters';
import type { WireInferInputTensor, WireModelInferRequest, WireModelInferResponse } from './messages';

export interface DecodedInfer {
  readonly request: InferenceRequest;
  readonly raw: boolean;
}

/** A protocol version string: "" (the default version) or a positive integer. */
export function parseVersionString(version: string | undefined): number {
  if (!version) return 0;
  const v = Number(version);
  if (!/^[0-9]+$/.test(version) || !Number.isSafeInteger(v)) {
    throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `model version ${quoted(version)} is not a version number`);
  }
  return v;
}

function hasContents(t: WireInferInputTensor): boolean {
  return !!t.contents && Object.values(t.contents).some((v) => v !== undefined && v !== null && v.length > 0);
}

function decodeInput(wire: WireInferInputTensor, index: number, raw: Uint8Array | undefined): InputTensor {
  const name = wire.name;
  if (!name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `input ${index} has no name`);
  const datatype = dataTypeByName(wire.datatype);
  if (!datatype) {
    throw new AmaasError(
      'AMAAS_ERR_INVALID_REQUEST',
      `input ${quoted(name)}: datatype ${quoted(String(wire.datatype))} is not supported (BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES)`,
    );
  }
  const shape = parseShape(name, wire.shape ?? []);
  const data = raw ? borrowRaw(name, datatype, shape, raw) : decodeTyped(name, datatype, shape, wire.contents ?? {});
  return { name, datatype, shape, data };
}

/** The `priority` parameter (infer-parameters.ts), absent when the request leaves the tenant's. */
function priorityOf(wire: WireModelInferRequest): { priority?: Priority } {
  const priority = inferPriority(wire.parameters);
  return priority ? { priority } : {};
}

/** `identity`: the caller, which the service checks against the model (security/model-access.ts). */
export function decodeInferRequest(wire: WireModelInferRequest, identity?: Identity): DecodedInfer {
  throwIfMalformed(wire);
  if (!wire.model_name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'model_name is required');
  const inputs = wire.inputs ?? [];
  const rawContents = wire.raw_input_contents ?? [];
  const raw = rawContents.length > 0;
  if (raw) {
    if (rawContents.length !== inputs.length) {
      throw new AmaasError(
        'AMAAS_ERR_INVALID_REQUEST',
        `raw_input_contents has ${rawContents.length} entries but there are ${inputs.length} inputs; give one per input, in order`,
      );
    }
    const typed = inputs.find(hasContents);
    if (typed) {
      throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `input ${quoted(typed.name)} sets contents, but the request uses raw_input_contents`);
    }
  }
  return {
    raw,
    request: {
      modelName: wire.model_name,
      modelVersion: parseVersionString(wire.model_version),
      id: wire.id ?? '',
      protocol: 'kserve',
      inputs: inputs.map((t, i) => decodeInput(t, i, raw ? rawContents[i] : undefined)),
      outputNames: (wire.outputs ?? []).map((o) => o.name),
      identity,
      ...priorityOf(wire),
    },
  };
}

/** Refuses (RESOURCE_EXHAUSTED) outputs larger than the server may send, before encoding them. */
export function encodeInferResponse(result: InferenceResult, raw: boolean, maxBytes: number): WireModelInferResponse {
  const useRaw = raw || result.outputs.some((t) => t.datatype.name === 'FP16');
  const rawOutputs = useRaw ? result.outputs.map(encodeRaw) : [];
  assertResponseFits(result.outputs, maxBytes);
  return {
    model_name: result.modelName,
    model_version: String(result.modelVersion),
    id: result.id,
    outputs: result.outputs.map((t) => ({
      name: t.name,
      datatype: t.datatype.name,
      shape: [...t.shape],
      ...(useRaw ? {} : { contents: encodeTyped(t) }),
    })),
    raw_output_contents: rawOutputs,
  };
}

/** PredictRequest/PredictResponse <-> the service's InferenceRequest/InferenceResult. */
import { AmaasError } from '../../errors';
import type { Priority } from '../../scheduling/scheduler';
import type { Identity } from '../../security';
import type { InferenceRequest, InferenceResult } from '../../service/inference-service';
import type { WirePredictRequest, WirePredictResponse } from './messages';
import { assertResponseFits } from '../response-size';
import { throwIfMalformed } from '../wire-decoder';
import { OutputEncoding, decodeWireTensor, encodeWireTensor, parseVersion } from './tensor-wire';

export interface DecodedPredict {
  readonly request: InferenceRequest;
  readonly encoding: OutputEncoding;
}

const PRIORITIES: Readonly<Record<string, Priority>> = { PRIORITY_HIGH: 'high', PRIORITY_NORMAL: 'normal', PRIORITY_LOW: 'low' };

/** PredictRequest.priority; PRIORITY_UNSPECIFIED (or a value this server does not know) leaves the tenant's. */
function priorityOf(name: string | undefined): { priority?: Priority } {
  const priority = name === undefined ? undefined : PRIORITIES[name];
  return priority ? { priority } : {};
}

/** `identity`: the caller, which the service checks against the model (security/model-access.ts). */
export function decodePredictRequest(wire: WirePredictRequest, identity?: Identity): DecodedPredict {
  throwIfMalformed(wire);
  if (!wire.model_name) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'model_name is required');
  const inputs = (wire.inputs ?? []).map(decodeWireTensor);
  let encoding: OutputEncoding;
  switch (wire.output_encoding) {
    case 'TENSOR_ENCODING_RAW':
      encoding = 'raw';
      break;
    case 'TENSOR_ENCODING_TYPED':
      encoding = 'typed';
      break;
    default:
      encoding = (wire.inputs ?? []).some((t) => t.contents === 'raw_contents') ? 'raw' : 'typed';
  }
  return {
    request: {
      modelName: wire.model_name,
      modelVersion: parseVersion(wire.model_version),
      id: wire.id ?? '',
      protocol: 'amaas',
      inputs,
      outputNames: wire.output_names ?? [],
      identity,
      ...priorityOf(wire.priority),
    },
    encoding,
  };
}

/** Refuses (RESOURCE_EXHAUSTED) a response larger than the server may send, before encoding it. */
export function encodePredictResponse(result: InferenceResult, encoding: OutputEncoding, maxBytes: number): WirePredictResponse {
  assertResponseFits(result.outputs, maxBytes);
  return {
    model_name: result.modelName,
    model_version: result.modelVersion,
    id: result.id,
    outputs: result.outputs.map((t) => encodeWireTensor(t, encoding)),
  };
}

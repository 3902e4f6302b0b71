/**
 * Checks a decoded request against the model version's signature before any work is queued: every input
 * present exactly once, known, of the right datatype and a compatible shape; requested outputs known.
 * Messages name the model, the tensor and what was expected, so a caller can fix the request from them alone;
 * names are shown through quoted()/listed(), so a huge name the client sent never makes a huge message.
 */
import type { InputTensor } from '../codec/tensor-codec';
import { AmaasError } from '../errors';
import { listed, quoted, shapeText } from '../errors-format';
import type { ServingVersion } from '../repository/model-version';
import type { TensorSpec } from '../repository/signature';

function checkShape(model: string, spec: TensorSpec, tensor: InputTensor, maxBatchSize: number): void {
  // onnxruntime reports [] both for scalars and for unknown shapes; it checks those itself at run time.
  if (spec.shape.length === 0) return;
  const got = tensor.shape;
  const compatible = got.length === spec.shape.length && spec.shape.every((d, i) => d < 0 || d === got[i]);
  if (!compatible) {
    throw new AmaasError(
      'AMAAS_ERR_SHAPE_MISMATCH',
      `input ${quoted(spec.name)} of model ${quoted(model)} has shape ${shapeText(spec.shape)} (-1 = any size), got ${shapeText(got)}`,
    );
  }
  if (maxBatchSize > 0 && spec.shape[0] < 0 && got[0] > maxBatchSize) {
    throw new AmaasError(
      'AMAAS_ERR_SHAPE_MISMATCH',
      `input ${quoted(spec.name)} of model ${quoted(model)} has batch size ${got[0]}, more than the model's max_batch_size ${maxBatchSize}`,
    );
  }
}

/** Validates inputs and resolves the outputs to fetch (all of them, in model order, when none are named). */
export function validateRequest(
  target: ServingVersion,
  inputs: readonly InputTensor[],
  requestedOutputs: readonly string[],
): readonly string[] {
  const { signature, model } = target;
  const seen = new Set<string>();
  for (const tensor of inputs) {
    const spec = signature.inputsByName.get(tensor.name);
    if (!spec) {
      throw new AmaasError(
        'AMAAS_ERR_INPUT_UNKNOWN',
        `model ${quoted(model)} has no input ${quoted(tensor.name)} (inputs: ${listed(signature.inputs.map((s) => s.name))})`,
      );
    }
    if (seen.has(tensor.name)) {
      throw new AmaasError('AMAAS_ERR_INPUT_DUPLICATE', `input ${quoted(tensor.name)} of model ${quoted(model)} is given more than once`);
    }
    seen.add(tensor.name);
    if (spec.datatype !== tensor.datatype) {
      throw new AmaasError(
        'AMAAS_ERR_DATATYPE_MISMATCH',
        `input ${quoted(spec.name)} of model ${quoted(model)} is ${spec.datatype.name}, got ${tensor.datatype.name}`,
      );
    }
    checkShape(model, spec, tensor, target.maxBatchSize);
  }
  const missing = signature.inputs.filter((s) => !seen.has(s.name)).map((s) => s.name);
  if (missing.length > 0) {
    throw new AmaasError('AMAAS_ERR_INPUT_MISSING', `model ${quoted(model)} needs input(s) ${listed(missing, quoted)}`);
  }
  if (requestedOutputs.length === 0) return signature.outputNames;
  const requested = new Set<string>();
  for (const name of requestedOutputs) {
    if (!signature.outputsByName.has(name)) {
      throw new AmaasError(
        'AMAAS_ERR_OUTPUT_UNKNOWN',
        `model ${quoted(model)} has no output ${quoted(name)} (outputs: ${listed(signature.outputNames)})`,
      );
    }
    if (requested.has(name)) {
      throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `output ${quoted(name)} of model ${quoted(model)} is requested more than once`);
    }
    requested.add(name);
  }
  return requestedOutputs;
}

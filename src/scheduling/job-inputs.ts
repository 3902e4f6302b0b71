/**
 * The data path's one copy for a job that runs alone: borrowed raw bytes go into buffers of their own, which
 * then move (never clone) to the worker. Typed-path and JSON inputs already own fresh arrays and move as they are.
 */
import { dataTypeByOrt } from '../codec/dtypes';
import { ownInputData } from '../codec/tensor-codec';
import { AmaasError } from '../errors';
import type { TensorPayload } from '../pool/messages';
import type { JobInput } from './scheduler';

export interface OwnedInputs {
  readonly inputs: Record<string, TensorPayload>;
  readonly transferList: ArrayBuffer[];
  readonly bytesCopied: number;
}

export function ownJobInputs(job: Readonly<Record<string, JobInput>>): OwnedInputs {
  const inputs: Record<string, TensorPayload> = {};
  const transfer = new Set<ArrayBuffer>();
  let bytesCopied = 0;
  for (const [name, t] of Object.entries(job)) {
    const datatype = dataTypeByOrt(t.type);
    if (!datatype) throw new AmaasError('AMAAS_ERR_INTERNAL', `input '${name}' has unknown type ${t.type}`);
    const owned = ownInputData(datatype, t.data);
    bytesCopied += owned.copied;
    inputs[name] = { type: t.type, dims: t.dims, data: owned.data };
    if (!Array.isArray(owned.data)) transfer.add(owned.data.buffer as ArrayBuffer);
  }
  return { inputs, transferList: [...transfer], bytesCopied };
}

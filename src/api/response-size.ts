/**
 * Every protocol refuses a response it could not send anyway (larger than max_message_bytes) before encoding
 * it, with a message that says what to do, instead of letting the transport fail it with a bare status.
 */
import type { Tensor } from '../codec/tensor-codec';
import { AmaasError } from '../errors';

/** Bytes of a tensor's data in raw form (BYTES elements with their 4-byte length prefixes). */
export function tensorByteSize(t: Tensor): number {
  if (Array.isArray(t.data)) return t.data.reduce((n, s) => n + 4 + Buffer.byteLength(s, 'utf8'), 0);
  return t.data.byteLength;
}

export function assertResponseFits(outputs: readonly Tensor[], maxBytes: number): void {
  const bytes = outputs.reduce((n, t) => n + tensorByteSize(t), 0);
  if (bytes > maxBytes) {
    throw new AmaasError(
      'AMAAS_ERR_MESSAGE_TOO_LARGE',
      `the outputs hold ${bytes} bytes, more than the server's max_message_bytes (${maxBytes}); request fewer rows or outputs`,
    );
  }
}

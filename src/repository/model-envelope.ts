/**
 * The envelope of an encrypted model (model.onnx.enc; format in docs/encryption.md). A fresh random data key
 * encrypts the model with AES-256-GCM; the master key wraps the data key with AES-256-GCM. The model's name
 * and version are in the header and authenticated with the model bytes, so a file moved into another model's
 * folder is refused; the master key's id is in the header, so a wrong key is told apart from a tampered file.
 * Key rotation re-wraps the data key only: the encrypted model bytes stay as they are.
 *
 * Everything happens in memory: the server decrypts in the worker that creates the session from the bytes.
 */
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { AmaasError } from '../errors';
import { quoted } from '../errors-format';
import { KEY_ID_BYTES, MASTER_KEY_BYTES, MasterKey, keyIdText } from './model-key';

export const ENVELOPE_MAGIC = Buffer.from('AMAASENC', 'ascii');
export const ENVELOPE_FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_NAME_BYTES = 1024;

/** Who the file was sealed for: bound into both authentication tags. */
export interface ModelBinding {
  readonly model: string;
  readonly version: number;
}

export interface EnvelopeHeader extends ModelBinding {
  readonly formatVersion: number;
  readonly keyId: Buffer;
  /** Bytes [0, bindingEnd) are the data's additional authenticated data (magic, format, name, version). */
  readonly bindingEnd: number;
  /** Where the key id starts; [0, keyIdEnd) is the wrap's additional authenticated data. */
  readonly keyIdEnd: number;
  readonly wrapIv: Buffer;
  readonly wrappedKey: Buffer;
  readonly wrapTag: Buffer;
  readonly dataIv: Buffer;
  readonly dataTag: Buffer;
  /** Offset of the encrypted model bytes (to the end of the file). */
  readonly dataStart: number;
}

function invalid(file: string, why: string): AmaasError {
  return new AmaasError('AMAAS_ERR_MODEL_ENVELOPE_INVALID', `${file} is not a usable encrypted model: ${why}`);
}

function bindingBytes(b: ModelBinding): Buffer {
  const name = Buffer.from(b.model, 'utf8');
  if (name.length === 0 || name.length > MAX_NAME_BYTES) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `model name must be 1 to ${MAX_NAME_BYTES} bytes`);
  if (!Number.isSafeInteger(b.version) || b.version < 1) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `version must be a positive integer, not ${b.version}`);
  const out = Buffer.alloc(ENVELOPE_MAGIC.length + 4 + name.length + 8);
  let at = ENVELOPE_MAGIC.copy(out, 0);
  at = out.writeUInt8(ENVELOPE_FORMAT_VERSION, at);
  at = out.writeUInt8(0, at);
  at = out.writeUInt16BE(name.length, at);
  at += name.copy(out, at);
  out.writeBigUInt64BE(BigInt(b.version), at);
  return out;
}

function gcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): { iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** null when the tag does not verify (a changed byte, or the wrong key for a wrap). */
function gcmOpen(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array): Buffer | null {
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const out = decipher.update(ciphertext);
  try {
    decipher.final();
  } catch {
    out.fill(0);
    return null;
  }
  return out;
}

/** The wrap section (key id, wrapped data key) for `dataKey` under `key`, after the binding `binding`. */
function wrapSection(binding: Buffer, dataKey: Buffer, key: MasterKey): Buffer {
  const wrapAad = Buffer.concat([binding, key.id]);
  const wrap = gcmSeal(key.bytes, dataKey, wrapAad);
  return Buffer.concat([key.id, wrap.iv, wrap.ciphertext, wrap.tag]);
}

/** Encrypts a model's bytes for (model, version) under the master key; returns the whole .enc file. */
export function sealModel(plaintext: Uint8Array, key: MasterKey, binding: ModelBinding): Buffer {
  const head = bindingBytes(binding);
  const dataKey = randomBytes(MASTER_KEY_BYTES);
  try {
    const data = gcmSeal(dataKey, plaintext, head);
    return Buffer.concat([head, wrapSection(head, dataKey, key), data.iv, data.tag, data.ciphertext]);
  } finally {
    dataKey.fill(0);
  }
}

/** Reads the header; throws AMAAS_ERR_MODEL_ENVELOPE_INVALID for a file that is not a whole version-1 envelope. */
export function readEnvelopeHeader(bytes: Buffer, file = 'model.onnx.enc'): EnvelopeHeader {
  if (bytes.length < ENVELOPE_MAGIC.length || !bytes.subarray(0, ENVELOPE_MAGIC.length).equals(ENVELOPE_MAGIC)) {
    throw invalid(file, 'it does not start with the amaas envelope magic (was it written by amaas encrypt?)');
  }
  const fixed = ENVELOPE_MAGIC.length + 4;
  if (bytes.length < fixed) throw invalid(file, 'the header is truncated');
  const formatVersion = bytes.readUInt8(ENVELOPE_MAGIC.length);
  if (formatVersion !== ENVELOPE_FORMAT_VERSION) throw invalid(file, `envelope format ${formatVersion} is not supported (this server reads format ${ENVELOPE_FORMAT_VERSION})`);
  const nameLength = bytes.readUInt16BE(ENVELOPE_MAGIC.length + 2);
  const bindingEnd = fixed + nameLength + 8;
  const keyIdEnd = bindingEnd + KEY_ID_BYTES;
  const dataStart = keyIdEnd + IV_BYTES + MASTER_KEY_BYTES + TAG_BYTES + IV_BYTES + TAG_BYTES;
  if (nameLength === 0 || nameLength > MAX_NAME_BYTES || bytes.length < dataStart) throw invalid(file, 'the header is truncated or damaged');
  const version = bytes.readBigUInt64BE(fixed + nameLength);
  let at = keyIdEnd;
  const take = (n: number) => bytes.subarray(at, (at += n));
  return {
    formatVersion,
    model: bytes.toString('utf8', fixed, fixed + nameLength),
    version: version > BigInt(Number.MAX_SAFE_INTEGER) ? Number.NaN : Number(version),
    keyId: bytes.subarray(bindingEnd, keyIdEnd),
    bindingEnd,
    keyIdEnd,
    wrapIv: take(IV_BYTES),
    wrappedKey: take(MASTER_KEY_BYTES),
    wrapTag: take(TAG_BYTES),
    dataIv: take(IV_BYTES),
    dataTag: take(TAG_BYTES),
    dataStart,
  };
}

/** The data key, or the failure that says why not (wrong key, tampered wrap). The caller zeroes it. */
function unwrapDataKey(bytes: Buffer, h: EnvelopeHeader, key: MasterKey, file: string): Buffer {
  if (h.keyId.length !== key.id.length || !timingSafeEqual(h.keyId, key.id)) {
    throw new AmaasError(
      'AMAAS_ERR_MODEL_KEY_MISMATCH',
      `${file} was encrypted under master key ${keyIdText(h.keyId)}, not the key in use (${keyIdText(key.id)}): give the server that key, or re-wrap the file (amaas encrypt --rewrap)`,
    );
  }
  const dataKey = gcmOpen(key.bytes, h.wrapIv, h.wrappedKey, h.wrapTag, bytes.subarray(0, h.keyIdEnd));
  if (!dataKey) throw tampered(file, 'its header (the wrapped data key)');
  return dataKey;
}

function tampered(file: string, what: string): AmaasError {
  return new AmaasError('AMAAS_ERR_MODEL_TAMPERED', `${file} failed authentication: ${what} was changed after encryption, or the file is damaged`);
}

/**
 * Decrypts a .enc file for the version it sits in. Checks, in order: the envelope's format, that it was sealed
 * for this model and version (a file moved from another model's folder is refused), the master key's id, and
 * both authentication tags. Returns the model's bytes; the caller zeroes them once it has used them.
 */
export function openModel(bytes: Buffer, key: MasterKey, expected: ModelBinding, file = 'model.onnx.enc'): Buffer {
  const h = readEnvelopeHeader(bytes, file);
  if (h.model !== expected.model || h.version !== expected.version) {
    throw new AmaasError(
      'AMAAS_ERR_MODEL_BINDING_MISMATCH',
      `${file} was encrypted for model ${quoted(h.model)} version ${h.version}, not model ${quoted(expected.model)} version ${expected.version}: ` +
        `an encrypted file serves only the model and version it was sealed for (amaas encrypt --model --version)`,
    );
  }
  const dataKey = unwrapDataKey(bytes, h, key, file);
  try {
    const plaintext = gcmOpen(dataKey, h.dataIv, bytes.subarray(h.dataStart), h.dataTag, bytes.subarray(0, h.bindingEnd));
    if (!plaintext) throw tampered(file, 'the model bytes or the header');
    return plaintext;
  } finally {
    dataKey.fill(0);
  }
}

/** Key rotation: the same file with its data key re-wrapped under `newKey`; the encrypted model bytes are unchanged. */
export function rewrapModel(bytes: Buffer, oldKey: MasterKey, newKey: MasterKey, file = 'model.onnx.enc'): Buffer {
  const h = readEnvelopeHeader(bytes, file);
  const dataKey = unwrapDataKey(bytes, h, oldKey, file);
  try {
    const binding = bytes.subarray(0, h.bindingEnd);
    return Buffer.concat([binding, wrapSection(binding, dataKey, newKey), bytes.subarray(h.keyIdEnd + IV_BYTES + MASTER_KEY_BYTES + TAG_BYTES)]);
  } finally {
    dataKey.fill(0);
  }
}

/**
 * The master key that wraps the data keys of encrypted models (model.onnx.enc, docs/encryption.md): 32 random
 * bytes, written as 64 hex digits (a key file, or the AMAAS_MODEL_KEY environment variable). Its key id, a hash
 * of the key, goes into every envelope, so a file sealed under another key is told apart from a tampered one.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { AmaasError } from '../errors';

export const MASTER_KEY_BYTES = 32;
export const KEY_ID_BYTES = 16;

export interface MasterKey {
  readonly bytes: Buffer;
  /** SHA-256 of a fixed label and the key, first 16 bytes: names the key without revealing it. */
  readonly id: Buffer;
}

export function keyIdOf(bytes: Uint8Array): Buffer {
  return createHash('sha256').update('amaas model master key v1\0').update(bytes).digest().subarray(0, KEY_ID_BYTES);
}

/** Parses key text (64 hex digits, surrounding white space allowed). `source` names where it came from; the key is never echoed. */
export function parseMasterKey(text: string, source: string): MasterKey {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `${source} must hold a model master key: 64 hex digits (amaas keygen writes one)`);
  }
  const bytes = Buffer.from(hex, 'hex');
  return { bytes, id: keyIdOf(bytes) };
}

export function readMasterKeyFile(file: string): MasterKey {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `cannot read model key file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseMasterKey(text, `model key file ${file}`);
}

export function generateMasterKey(): MasterKey {
  const bytes = randomBytes(MASTER_KEY_BYTES);
  return { bytes, id: keyIdOf(bytes) };
}

/** The key file's contents: the key in hex and a newline. */
export function masterKeyText(key: MasterKey): string {
  return `${key.bytes.toString('hex')}\n`;
}

/** Short printable key id (hex), for messages and logs. */
export function keyIdText(id: Uint8Array): string {
  return Buffer.from(id).toString('hex');
}

/** The server's master key from its config (model_keys.key_file or AMAAS_MODEL_KEY); null when neither is set. */
export function loadMasterKey(source: { readonly keyFile: string | null; readonly keyText: string | null }): MasterKey | null {
  if (source.keyFile) return readMasterKeyFile(source.keyFile);
  if (source.keyText) return parseMasterKey(source.keyText, 'AMAAS_MODEL_KEY (model_key)');
  return null;
}

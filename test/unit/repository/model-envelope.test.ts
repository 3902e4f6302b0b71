/** The encrypted-model envelope (docs/encryption.md): round trip, and each way a file can be wrong told apart. */
import { ENVELOPE_MAGIC, openModel, readEnvelopeHeader, rewrapModel, sealModel } from '../../../src/repository/model-envelope';
import { generateMasterKey, keyIdOf, masterKeyText, parseMasterKey } from '../../../src/repository/model-key';
import { expectAmaasError } from '../../helpers/expect-amaas-error';

const key = generateMasterKey();
const binding = { model: 'ocr_det', version: 3 };
const model = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31 + 7) % 256));

it('round-trips a model and keeps the plaintext out of the file', () => {
  const sealed = sealModel(model, key, binding);
  expect(sealed.subarray(0, ENVELOPE_MAGIC.length)).toEqual(ENVELOPE_MAGIC);
  expect(sealed.includes(model.subarray(100, 164))).toBe(false);
  expect(openModel(sealed, key, binding)).toEqual(model);
  const h = readEnvelopeHeader(sealed);
  expect({ model: h.model, version: h.version, formatVersion: h.formatVersion }).toEqual({ ...binding, formatVersion: 1 });
  expect(h.keyId).toEqual(key.id);
});

it('uses a fresh data key and IV per file', () => {
  expect(sealModel(model, key, binding).equals(sealModel(model, key, binding))).toBe(false);
});

it('tells a wrong key apart from a tampered file', () => {
  const sealed = sealModel(model, key, binding);
  expectAmaasError(() => openModel(sealed, generateMasterKey(), binding), 'AMAAS_ERR_MODEL_KEY_MISMATCH', key.id.toString('hex'));
});

it('finds a changed byte anywhere: the model bytes, the name, the wrapped key, the tags', () => {
  const sealed = sealModel(model, key, binding);
  const h = readEnvelopeHeader(sealed);
  // Each offset lies in a different part; the version's own bytes are covered by the binding test below.
  for (const at of [sealed.length - 1, h.dataStart, h.dataStart - 1, h.keyIdEnd + 20, h.keyIdEnd]) {
    const bad = Buffer.from(sealed);
    bad[at] ^= 0x40;
    expectAmaasError(() => openModel(bad, key, binding), 'AMAAS_ERR_MODEL_TAMPERED', 'failed authentication');
  }
  // A name edited in the header to match another folder still fails: the name is authenticated.
  const renamed = sealModel(model, key, { model: 'ocr_dex', version: 3 });
  const forged = Buffer.from(renamed);
  forged.write('ocr_det', ENVELOPE_MAGIC.length + 4, 'utf8');
  expectAmaasError(() => openModel(forged, key, binding), 'AMAAS_ERR_MODEL_TAMPERED');
});

it('refuses a file sealed for another model or version', () => {
  const sealed = sealModel(model, key, binding);
  expectAmaasError(() => openModel(sealed, key, { model: 'other', version: 3 }), 'AMAAS_ERR_MODEL_BINDING_MISMATCH', "'ocr_det' version 3", "'other' version 3");
  expectAmaasError(() => openModel(sealed, key, { model: 'ocr_det', version: 4 }), 'AMAAS_ERR_MODEL_BINDING_MISMATCH');
});

it('refuses what is not a whole envelope: a plain model, a truncated header, an unknown format', () => {
  expectAmaasError(() => openModel(model, key, binding), 'AMAAS_ERR_MODEL_ENVELOPE_INVALID', 'magic');
  const sealed = sealModel(model, key, binding);
  expectAmaasError(() => openModel(sealed.subarray(0, 40), key, binding), 'AMAAS_ERR_MODEL_ENVELOPE_INVALID', 'truncated');
  const future = Buffer.from(sealed);
  future[ENVELOPE_MAGIC.length] = 9;
  expectAmaasError(() => openModel(future, key, binding), 'AMAAS_ERR_MODEL_ENVELOPE_INVALID', 'format 9');
});

it('re-wraps under a new key without touching the encrypted model bytes', () => {
  const sealed = sealModel(model, key, binding);
  const next = generateMasterKey();
  const rewrapped = rewrapModel(sealed, key, next);
  const before = readEnvelopeHeader(sealed);
  const after = readEnvelopeHeader(rewrapped);
  expect(rewrapped.subarray(after.dataStart)).toEqual(sealed.subarray(before.dataStart));
  expect(after.dataTag).toEqual(before.dataTag);
  expect(openModel(rewrapped, next, binding)).toEqual(model);
  expectAmaasError(() => openModel(rewrapped, key, binding), 'AMAAS_ERR_MODEL_KEY_MISMATCH');
  expectAmaasError(() => rewrapModel(sealed, next, key), 'AMAAS_ERR_MODEL_KEY_MISMATCH');
});

it('reads key text back and never echoes bad key text', () => {
  expect(parseMasterKey(masterKeyText(key), 'test').bytes).toEqual(key.bytes);
  expect(keyIdOf(key.bytes)).toEqual(key.id);
  const e = expectAmaasError(() => parseMasterKey('secret-but-not-hex', 'AMAAS_MODEL_KEY'), 'AMAAS_ERR_CONFIG_INVALID', 'AMAAS_MODEL_KEY', '64 hex digits');
  expect(e.message).not.toContain('secret-but-not-hex');
});

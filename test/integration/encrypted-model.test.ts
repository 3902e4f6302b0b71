/**
 * Encryption at rest (docs/encryption.md): a version folder holding model.onnx.enc serves outputs identical to
 * the plaintext model run directly by onnxruntime; a wrong key, a tampered byte and a file moved into another
 * model's folder each leave that version UNAVAILABLE with its own reason while other models serve; a sha256
 * in the config is checked against the encrypted file; a server without a master key says so; and no plaintext
 * copy of the model is ever written, to the repository or to a temp folder.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AmaasCallError } from '../../src/client/amaas-client';
import { sealModel } from '../../src/repository/model-envelope';
import { generateMasterKey, masterKeyText } from '../../src/repository/model-key';
import { makeRepository, modelPath, tempDir } from '../helpers/model-repository';
import { releaseDirectSessions, runDirect, values } from '../helpers/ort-direct';
import { OCR_DET_MODEL } from '../helpers/real-models';
import { TestServer, startTestServer } from '../helpers/test-server';
import { ModelRegistry } from '../../src/repository/model-registry';

const serverKey = generateMasterKey();
const otherKey = generateMasterKey();
/** A random marker in the model's doc_string: any file holding it holds the plaintext model. */
const marker = Buffer.from(`amaas-plaintext-marker-${serverKey.id.toString('hex')}${Date.now()}`, 'ascii');
let ts: TestServer;
let repo: string;
let privateTmp: string;
const systemTmp = os.tmpdir();
const savedTmpdir = process.env.TMPDIR;
const started = Date.now();

/** The OCR model with `marker` as its doc_string (ModelProto field 6, a length-delimited string appended last). */
function markedOcrModel(): Buffer {
  return Buffer.concat([fs.readFileSync(OCR_DET_MODEL), Buffer.from([(6 << 3) | 2, marker.length]), marker]);
}

function place(name: string, version: number, bytes: Buffer): string {
  const dir = path.join(repo, name, String(version));
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'model.onnx.enc');
  fs.writeFileSync(file, bytes);
  return file;
}

beforeAll(async () => {
  repo = await makeRepository([{ model: 'mlp' }]);
  const mlp = fs.readFileSync(modelPath(repo, 'mlp'));
  // One thread, like the direct run below, so both take the same kernel paths; the checksum is the encrypted file's.
  const secret = sealModel(markedOcrModel(), serverKey, { model: 'secret_det', version: 1 });
  fs.mkdirSync(path.join(repo, 'secret_det'));
  const sha256 = createHash('sha256').update(secret).digest('hex');
  fs.writeFileSync(path.join(repo, 'secret_det', 'config.json'), JSON.stringify({ intra_op_threads: 1, sha256: { '1': sha256 } }));
  place('secret_det', 1, secret);
  place('wrong_key', 1, sealModel(mlp, otherKey, { model: 'wrong_key', version: 1 }));
  const sealed = sealModel(mlp, serverKey, { model: 'tampered', version: 1 });
  sealed[sealed.length - 100] ^= 0x01;
  place('tampered', 1, sealed);
  // Sealed for mlp_secret version 1, then renamed into another model's folder.
  place('swapped', 1, sealModel(mlp, serverKey, { model: 'mlp_secret', version: 1 }));
  const keyFile = path.join(tempDir('amaas-key-'), 'master.key');
  fs.writeFileSync(keyFile, masterKeyText(serverKey), { mode: 0o600 });
  // The server (and its workers, which inherit the environment) get a temp folder of their own to scan.
  privateTmp = tempDir('amaas-enc-tmp-');
  process.env.TMPDIR = privateTmp;
  ts = await startTestServer(repo, { model_keys: { key_file: keyFile } });
}, 120_000);

afterAll(async () => {
  await ts?.stop();
  await releaseDirectSessions();
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
});

function image(size: number): Float32Array {
  const data = new Float32Array(3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 255) / 127.5 - 1;
  return data;
}

it('serves an encrypted model with outputs identical to the plaintext model run directly', async () => {
  const size = 160;
  const x = image(size);
  const expected = await runDirect(OCR_DET_MODEL, { x: { type: 'float32', dims: [1, 3, size, size], data: x } }, { intraOpThreads: 1 });
  const [name] = Object.keys(expected);
  const result = await ts.client.predict('secret_det', { x: { data: x, dims: [1, 3, size, size] } });
  expect(result.modelVersion).toBe(1);
  expect(result.outputs[name].dims).toEqual(expected[name].dims);
  expect(values(result.outputs[name].data)).toEqual(expected[name].values);
}, 60_000);

const broken: ReadonlyArray<[string, string, RegExp]> = [
  ['wrong_key', 'AMAAS_ERR_MODEL_KEY_MISMATCH', /encrypted under master key [0-9a-f]{32}, not the key in use/],
  ['tampered', 'AMAAS_ERR_MODEL_TAMPERED', /failed authentication/],
  ['swapped', 'AMAAS_ERR_MODEL_BINDING_MISMATCH', /encrypted for model 'mlp_secret' version 1, not model 'swapped' version 1/],
];

describe.each(broken)('%s', (model, code, reason) => {
  it('is UNAVAILABLE with its reason, in the listing and to Predict', async () => {
    const info = await ts.client.getModelMetadata(model);
    expect(info.versions).toEqual([expect.objectContaining({ version: 1, state: 'UNAVAILABLE', reason: expect.stringMatching(reason) })]);
    const err = (await ts.client.predict(model, { x: { data: new Float32Array(64), dims: [1, 64] } }).catch((e) => e)) as AmaasCallError;
    expect(err.code).toBe(14); // UNAVAILABLE
    expect(err.errorCode).toBe('AMAAS_ERR_MODEL_UNAVAILABLE');
    expect(err.details).toMatch(reason);
  });

  it(`fails LoadModel with ${code}`, async () => {
    const err = (await ts.client.loadModel(model, 1).catch((e) => e)) as AmaasCallError;
    expect(err.errorCode).toBe(code);
    expect(err.details).toMatch(reason);
    expect(err.details).not.toContain(repo);
  });
});

it('keeps serving the other models', async () => {
  const result = await ts.client.predict('mlp', { x: { data: new Float32Array(64).fill(0.5), dims: [1, 64] } });
  expect(result.modelVersion).toBe(1);
});

it('leaves encrypted versions UNAVAILABLE, saying why, on a server without a master key', async () => {
  const registry = new ModelRegistry();
  await registry.loadRepository(repo, ['tampered', 'mlp']);
  try {
    expect(registry.get('tampered')!.versions.get(1)!.failure).toMatchObject({ code: 'AMAAS_ERR_MODEL_KEY_MISSING', message: expect.stringContaining('AMAAS_MODEL_KEY') });
    expect(registry.resolve('mlp', 0).version).toBe(1);
  } finally {
    await registry.unloadAll();
  }
}, 60_000);

/** Every file under `dir` (to `depth` levels), skipping what cannot be read (other users' temp files). */
function filesUnder(dir: string, depth: number): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return depth > 0 ? filesUnder(p, depth - 1) : [];
    return e.isFile() ? [p] : [];
  });
}

function holdsPlaintext(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    if (stat.size > 512 * 1024 * 1024) return false;
    return fs.readFileSync(file).includes(marker);
  } catch {
    return false;
  }
}

it('writes no plaintext model: the repository and temp folders hold only the .enc files', async () => {
  const repoFiles = filesUnder(repo, 4).map((f) => path.relative(repo, f));
  expect(repoFiles.filter((f) => f.startsWith('secret_det'))).toEqual(['secret_det/1/model.onnx.enc', 'secret_det/config.json'].sort());
  expect(repoFiles.filter((f) => f.endsWith('.onnx'))).toEqual(['mlp/1/model.onnx']);
  expect(filesUnder(privateTmp, 6)).toEqual([]);
  // The system temp folder is shared with other tests: only files changed since this file started can be new.
  const fresh = filesUnder(systemTmp, 3).filter((f) => {
    try {
      return fs.statSync(f).mtimeMs >= started - 1000;
    } catch {
      return false;
    }
  });
  expect([...filesUnder(repo, 4), ...fresh].filter(holdsPlaintext)).toEqual([]);
  // The scan does find a plaintext copy where there is one.
  const control = path.join(tempDir('amaas-enc-control-'), 'copy.bin');
  fs.writeFileSync(control, markedOcrModel());
  expect(holdsPlaintext(control)).toBe(true);
  fs.rmSync(path.dirname(control), { recursive: true });
});

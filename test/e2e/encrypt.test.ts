/**
 * `amaas keygen` and `amaas encrypt` as an operator runs them: the real CLI writes a key only its owner can
 * read and never overwrites one, seals a model for the version folder it is written to (printing the sha256
 * for the config), and --rewrap rotates the master key without touching the encrypted model bytes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { openModel, readEnvelopeHeader } from '../../src/repository/model-envelope';
import { readMasterKeyFile } from '../../src/repository/model-key';
import { CLI } from '../helpers/server-process';
import { tempDir } from '../helpers/model-repository';

const run = promisify(execFile);
const amaas = (...args: string[]) => run(process.execPath, [CLI, ...args]);
const dir = tempDir('amaas-encrypt-e2e-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const model = Buffer.from('pretend this is an ONNX model: only the bytes matter to the envelope');

it('writes a master key readable only by its owner, and refuses to overwrite it', async () => {
  const key = path.join(dir, 'a.key');
  const { stdout } = await amaas('keygen', '--out', key);
  expect(stdout.trim()).toBe(readMasterKeyFile(key).id.toString('hex'));
  expect(fs.statSync(key).mode & 0o777).toBe(0o600);
  const before = fs.readFileSync(key, 'utf8');
  await expect(amaas('keygen', '--out', key)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('never overwrites') });
  expect(fs.readFileSync(key, 'utf8')).toBe(before);
  await amaas('keygen', '--out', key, '--force');
  expect(fs.readFileSync(key, 'utf8')).not.toBe(before);
  expect(fs.statSync(key).mode & 0o777).toBe(0o600);
});

it('encrypts for the version folder it writes to, then re-wraps under a new key', async () => {
  const [oldKey, newKey] = [path.join(dir, 'old.key'), path.join(dir, 'new.key')];
  await amaas('keygen', '--out', oldKey);
  await amaas('keygen', '--out', newKey);
  const plain = path.join(dir, 'model.onnx');
  fs.writeFileSync(plain, model);
  const out = path.join(dir, 'repo', 'ocr', '4', 'model.onnx.enc');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const sealed = await amaas('encrypt', plain, out, '--key-file', oldKey);
  const bytes = fs.readFileSync(out);
  expect(sealed.stdout.trim()).toBe(createHash('sha256').update(bytes).digest('hex'));
  expect(readEnvelopeHeader(bytes)).toMatchObject({ model: 'ocr', version: 4 });
  expect(openModel(bytes, readMasterKeyFile(oldKey), { model: 'ocr', version: 4 })).toEqual(model);

  await expect(amaas('encrypt', plain, out, '--key-file', oldKey)).rejects.toMatchObject({ stderr: expect.stringContaining('--force') });
  await expect(amaas('encrypt', out, path.join(dir, 'x.enc'), '--key-file', oldKey, '--model', 'ocr', '--version', '4')).rejects.toMatchObject({
    stderr: expect.stringContaining('already encrypted'),
  });

  await amaas('encrypt', out, out, '--rewrap', '--key-file', oldKey, '--new-key-file', newKey);
  const rewrapped = fs.readFileSync(out);
  expect(rewrapped.subarray(readEnvelopeHeader(rewrapped).dataStart)).toEqual(bytes.subarray(readEnvelopeHeader(bytes).dataStart));
  expect(openModel(rewrapped, readMasterKeyFile(newKey), { model: 'ocr', version: 4 })).toEqual(model);
  expect(fs.readdirSync(path.dirname(out))).toEqual(['model.onnx.enc']);
});

it('asks for --model and --version when the output is not in a version folder', async () => {
  const key = path.join(dir, 'c.key');
  await amaas('keygen', '--out', key);
  fs.writeFileSync(path.join(dir, 'm.onnx'), model);
  await expect(amaas('encrypt', path.join(dir, 'm.onnx'), path.join(dir, 'm.enc'), '--key-file', key)).rejects.toMatchObject({
    stderr: expect.stringContaining('--model NAME and --version N'),
  });
  await amaas('encrypt', path.join(dir, 'm.onnx'), path.join(dir, 'm.enc'), '--key-file', key, '--model', 'mlp', '--version', '2');
  expect(readEnvelopeHeader(fs.readFileSync(path.join(dir, 'm.enc')))).toMatchObject({ model: 'mlp', version: 2 });
});

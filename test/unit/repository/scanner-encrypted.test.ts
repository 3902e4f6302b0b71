/** The scanner finds an encrypted model (model.onnx.enc) in a version folder, and refuses a folder with both files. */
import fs from 'node:fs';
import path from 'node:path';
import { isEncryptedModel, scanModel } from '../../../src/repository/scanner';
import { tempDir } from '../../helpers/model-repository';

it('takes model.onnx.enc as the version file, and flags a folder holding both', () => {
  const dir = path.join(tempDir(), 'm');
  fs.mkdirSync(path.join(dir, '1'), { recursive: true });
  fs.mkdirSync(path.join(dir, '2'), { recursive: true });
  fs.writeFileSync(path.join(dir, '1', 'model.onnx.enc'), 'sealed');
  fs.writeFileSync(path.join(dir, '2', 'model.onnx.enc'), 'sealed');
  fs.writeFileSync(path.join(dir, '2', 'model.onnx'), 'plain');
  const [one, two] = scanModel('m', dir).versions;
  expect(one).toMatchObject({ version: 1, modelPath: path.join(dir, '1', 'model.onnx.enc'), fingerprint: expect.stringMatching(/^6:/) });
  expect(one.problem).toBeUndefined();
  expect(isEncryptedModel(one.modelPath)).toBe(true);
  expect(two.problem).toBe('version folder 2 holds both model.onnx and model.onnx.enc: keep one');
  expect(isEncryptedModel(path.join(dir, '2', 'model.onnx'))).toBe(false);
  fs.rmSync(path.dirname(dir), { recursive: true });
});

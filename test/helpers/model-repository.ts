/**
 * Builds model repositories for tests in a fresh temp folder: the catalog's generated models, plus
 * deliberately broken entries for the error and state tests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RepositoryEntry, TEST_MODELS, writeModelRepository } from '../../tools/modelgen/repository-writer';

export function tempDir(prefix = 'amaas-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes the given catalog entries (default: every test model) into a new temp repository. */
export async function makeRepository(entries: readonly RepositoryEntry[] = TEST_MODELS): Promise<string> {
  const dir = tempDir();
  await writeModelRepository(dir, entries);
  return dir;
}

/** Adds `<repo>/<name>/<version>/model.onnx` holding bytes that are not an ONNX model. */
export function writeCorruptModel(repo: string, name: string, version = 1): void {
  const dir = path.join(repo, name, String(version));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.onnx'), Buffer.from('this is not an onnx model'));
}

export function writeModelConfig(repo: string, name: string, config: object): void {
  fs.writeFileSync(path.join(repo, name, 'config.json'), JSON.stringify(config));
}

export function modelPath(repo: string, name: string, version = 1): string {
  return path.join(repo, name, String(version), 'model.onnx');
}

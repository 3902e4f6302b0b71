/**
 * Reads a Triton-style model repository: `<repo>/<model>/<version>/model.onnx` (or an encrypted
 * model.onnx.enc), versions being positive
 * integers, with an optional `<repo>/<model>/config.yaml` (or .yml, .json). Reports what it finds, problems
 * included, without loading anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AmaasError } from '../errors';

export const MODEL_FILE = 'model.onnx';
/** An encrypted model (docs/encryption.md), which a version folder may hold instead of model.onnx. */
export const ENCRYPTED_MODEL_FILE = 'model.onnx.enc';
export const CONFIG_FILES = ['config.yaml', 'config.yml', 'config.json'] as const;

export interface ScannedVersion {
  readonly version: number;
  readonly modelPath: string;
  /**
   * Why this version cannot be loaded, found without opening it (e.g. the model file is missing). Clients see it
   * as the version's reason, so it names no server path (modelPath is for logs).
   */
  readonly problem?: string;
  /** Size and modification time of model.onnx ('missing' without one): poll mode reloads a version when it changes. */
  readonly fingerprint: string;
}

export interface ScannedModel {
  readonly name: string;
  readonly dir: string;
  readonly configPath?: string;
  /** Sorted by version number. */
  readonly versions: readonly ScannedVersion[];
  /** The config file's contents ('' without one): poll mode reloads the model when it changes. */
  readonly configFingerprint: string;
}

const VERSION_DIR = /^[1-9][0-9]{0,15}$/;
/** A model folder's name: one plain path segment, never '.', '..' or hidden. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function scanRepository(root: string): ScannedModel[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch (err) {
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `cannot read model repository ${root}: ${(err as Error).message}`);
  }
  return entries
    .filter((e) => isDirectory(root, e) && MODEL_NAME.test(e.name))
    .map((e) => scanModel(e.name, path.join(root, e.name)))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function scanModel(name: string, dir: string): ScannedModel {
  const versions: ScannedVersion[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!isDirectory(dir, e) || !VERSION_DIR.test(e.name)) continue;
    versions.push(scanVersion(path.join(dir, e.name), Number(e.name)));
  }
  versions.sort((a, b) => a.version - b.version);
  const configPath = CONFIG_FILES.map((f) => path.join(dir, f)).find((p) => fs.existsSync(p));
  let configFingerprint = '';
  try {
    configFingerprint = configPath ? `${configPath}\n${fs.readFileSync(configPath, 'utf8')}` : '';
  } catch {
    configFingerprint = `${configPath}: unreadable`;
  }
  return { name, dir, configPath, versions, configFingerprint };
}

/** One version folder: model.onnx or (encrypted) model.onnx.enc, not both. */
function scanVersion(folder: string, version: number): ScannedVersion {
  const plainPath = path.join(folder, MODEL_FILE);
  const encryptedPath = path.join(folder, ENCRYPTED_MODEL_FILE);
  const plain = statOrNull(plainPath);
  const encrypted = statOrNull(encryptedPath);
  if (plain && encrypted) {
    return { version, modelPath: plainPath, problem: `version folder ${version} holds both ${MODEL_FILE} and ${ENCRYPTED_MODEL_FILE}: keep one`, fingerprint: 'ambiguous' };
  }
  const [modelPath, stat] = encrypted ? [encryptedPath, encrypted] : [plainPath, plain];
  return stat
    ? { version, modelPath, fingerprint: `${stat.size}:${stat.mtimeMs}` }
    : { version, modelPath, problem: `${MODEL_FILE} is missing from version folder ${version}`, fingerprint: 'missing' };
}

export function isEncryptedModel(modelPath: string): boolean {
  return path.basename(modelPath) === ENCRYPTED_MODEL_FILE;
}

function statOrNull(file: string): fs.Stats | null {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() ? stat : null;
  } catch {
    return null;
  }
}

/** Follows symlinks, so a repository can link models in from elsewhere. */
function isDirectory(parent: string, entry: fs.Dirent): boolean {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return fs.statSync(path.join(parent, entry.name)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * `amaas encrypt IN.onnx OUT.onnx.enc --key-file K --model NAME --version N`: seals a model for one model
 * version under a master key (docs/encryption.md). `--rewrap IN.enc OUT.enc --key-file OLD --new-key-file NEW`
 * rotates the master key: only the wrapped data key changes. stdout gets the output's sha256, for the model
 * config's `sha256` entry (checksums apply to the encrypted file).
 */
import { Command, InvalidArgumentError } from 'commander';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AmaasError } from '../errors';
import { ENVELOPE_MAGIC, ModelBinding, readEnvelopeHeader, rewrapModel, sealModel } from '../repository/model-envelope';
import { keyIdText, readMasterKeyFile } from '../repository/model-key';
import { ENCRYPTED_MODEL_FILE, MODEL_NAME } from '../repository/scanner';

interface EncryptOptions {
  keyFile: string;
  model?: string;
  version?: number;
  rewrap?: boolean;
  newKeyFile?: string;
  force?: boolean;
}

function versionNumber(value: string): number {
  const n = Number(value);
  if (!/^[1-9][0-9]{0,15}$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a version number (1, 2, ...)');
  return n;
}

/** --model/--version, else what OUT's place in a repository says (<model>/<version>/model.onnx.enc). */
export function bindingFor(out: string, model: string | undefined, version: number | undefined): ModelBinding {
  const versionDir = path.basename(path.dirname(path.resolve(out)));
  const modelDir = path.basename(path.dirname(path.dirname(path.resolve(out))));
  const fromPath = path.basename(out) === ENCRYPTED_MODEL_FILE && /^[1-9][0-9]{0,15}$/.test(versionDir) && MODEL_NAME.test(modelDir);
  const binding = { model: model ?? (fromPath ? modelDir : ''), version: version ?? (fromPath ? Number(versionDir) : 0) };
  if (!binding.model || !binding.version) {
    throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', 'give --model NAME and --version N: the file serves only that model version (they are bound into it)');
  }
  if (!MODEL_NAME.test(binding.model)) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `--model ${binding.model} is not a model folder name`);
  return binding;
}

/** Writes next to OUT, then renames, so a server polling the repository never sees half a file. */
function writeAtomically(out: string, bytes: Buffer, overwrite: boolean): void {
  if (!overwrite && fs.existsSync(out)) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `${out} exists; pass --force to replace it`);
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, bytes, { mode: 0o644, flag: 'wx' });
  fs.renameSync(tmp, out);
}

function encrypt(input: string, out: string, o: EncryptOptions): void {
  const key = readMasterKeyFile(o.keyFile);
  const bytes = fs.readFileSync(input);
  let sealed: Buffer;
  if (o.rewrap) {
    if (!o.newKeyFile) throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', '--rewrap needs --new-key-file (the key to wrap the data key under)');
    const newKey = readMasterKeyFile(o.newKeyFile);
    sealed = rewrapModel(bytes, key, newKey, path.basename(input));
    writeAtomically(out, sealed, o.force === true || path.resolve(out) === path.resolve(input));
    const h = readEnvelopeHeader(sealed);
    process.stderr.write(`Re-wrapped ${input} (model '${h.model}' version ${h.version}) from key ${keyIdText(key.id)} to key ${keyIdText(newKey.id)}; the model bytes are unchanged.\n`);
  } else {
    if (bytes.subarray(0, ENVELOPE_MAGIC.length).equals(ENVELOPE_MAGIC)) {
      throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `${input} is already encrypted (use --rewrap to change its key)`);
    }
    const binding = bindingFor(out, o.model, o.version);
    sealed = sealModel(bytes, key, binding);
    bytes.fill(0);
    writeAtomically(out, sealed, o.force === true);
    process.stderr.write(`Encrypted ${input} for model '${binding.model}' version ${binding.version} under key ${keyIdText(key.id)}.\n`);
  }
  process.stdout.write(`${createHash('sha256').update(sealed).digest('hex')}\n`);
}

export function registerEncryptCommand(program: Command): void {
  program
    .command('encrypt <in> <out>')
    .description('encrypt a model for one model version (model.onnx.enc); with --rewrap, re-wrap an encrypted model under a new master key')
    .requiredOption('--key-file <file>', 'the master key (amaas keygen); with --rewrap, the current one')
    .option('--model <name>', "the model it is for (default: OUT's model folder)")
    .option('--version <n>', "the version it is for (default: OUT's version folder)", versionNumber)
    .option('--rewrap', 'key rotation: IN is an encrypted model; wrap its data key under --new-key-file instead')
    .option('--new-key-file <file>', 'with --rewrap: the new master key')
    .option('--force', 'replace OUT if it exists')
    .action((input: string, out: string, o: EncryptOptions) => {
      try {
        encrypt(input, out, o);
      } catch (err) {
        const e = err as AmaasError;
        process.stderr.write(`amaas: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
        process.exit(1);
      }
    });
}

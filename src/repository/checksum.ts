/** Verifies a model file against the sha256 its config expects, before anything opens it. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { AmaasError } from '../errors';

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function verifyChecksum(file: string, expected: string): Promise<void> {
  const actual = await sha256Of(file);
  if (actual !== expected.toLowerCase()) {
    throw new AmaasError('AMAAS_ERR_CHECKSUM_MISMATCH', `checksum mismatch for ${file}: sha256 is ${actual}, the config expects ${expected.toLowerCase()}`);
  }
}

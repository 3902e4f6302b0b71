/** Verifies a model file against the sha256 its config expects, before anything opens it. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AmaasError } from '../errors';

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function verifyChecksum(file: string, expected: string): Promise<void> {
  const actual = await sha256Of(file);
  if (actual !== expected.toLowerCase()) {
    // Clients see this as the version's reason: it names the file, never the server's path to it.
    throw new AmaasError(
      'AMAAS_ERR_CHECKSUM_MISMATCH',
      `checksum mismatch: the sha256 of ${path.basename(file)} is ${actual}, the config expects ${expected.toLowerCase()}`,
    );
  }
}

/**
 * A batch job's checkpoint, `<output>.checkpoint` beside its output: how many lines of the output are
 * complete (and how many bytes they take), and where in the input the next row starts. It is written only
 * after those output bytes are on disk (fdatasync), and replaced atomically (temp file, fsync, rename, fsync of
 * the folder), so after a crash at any point it names a prefix of the output that is whole. A resumed job
 * truncates the output to that prefix (dropping a torn last line and anything written after the checkpoint)
 * and reads the input from the recorded position: no line is written twice and none is lost.
 */
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AmaasError } from '../errors';
import type { SourceIdentity } from './batch-rows';

const FORMAT = 1;

export interface JobIdentity {
  readonly model: string;
  readonly version: number;
  /** Outputs requested (empty: all); other outputs would make other lines. */
  readonly outputs: readonly string[];
  readonly source: SourceIdentity;
}

export interface Progress {
  /** Output lines complete (the last input line whose result was written). */
  readonly lines: number;
  /** Bytes those lines take in the output file. */
  readonly outputBytes: number;
  /** Where the next row starts: a byte offset (JSON Lines) or a row index (.npy). */
  readonly position: number;
  readonly ok: number;
  readonly failed: number;
  /** Every input row has its line. */
  readonly complete: boolean;
}

interface CheckpointFile extends Progress {
  readonly amaas_batch_checkpoint: number;
  readonly job: JobIdentity;
}

export const START: Progress = { lines: 0, outputBytes: 0, position: 0, ok: 0, failed: 0, complete: false };

export function checkpointPath(output: string): string {
  return `${output}.checkpoint`;
}

function sameJob(a: JobIdentity, b: JobIdentity): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The progress to resume from: START when there is no checkpoint (a first run), else the checkpoint's, after
 * checking it belongs to this job and the output still holds what it names.
 */
export async function readCheckpoint(output: string, job: JobIdentity): Promise<Progress> {
  const file = checkpointPath(output);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return START;
    throw err;
  }
  let saved: CheckpointFile;
  try {
    saved = JSON.parse(text) as CheckpointFile;
  } catch {
    throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `${file} is not a checkpoint amaas wrote; remove it, or run without --resume to start over`);
  }
  if (saved.amaas_batch_checkpoint !== FORMAT || !Number.isSafeInteger(saved.outputBytes) || !Number.isSafeInteger(saved.position)) {
    throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `${file} is not a checkpoint this amaas can read; remove it, or run without --resume to start over`);
  }
  if (!sameJob(saved.job, job)) {
    throw new AmaasError(
      'AMAAS_ERR_INVALID_REQUEST',
      `${file} belongs to another job (model, version, outputs or input files differ); run that job's command with --resume, or run without --resume to start over`,
    );
  }
  const size = await fsp.stat(output).then(
    (s) => s.size,
    () => -1,
  );
  if (size < saved.outputBytes) {
    throw new AmaasError('AMAAS_ERR_INVALID_REQUEST', `${output} is shorter than its checkpoint says (${size} < ${saved.outputBytes} bytes); run without --resume to start over`);
  }
  const { lines, outputBytes, position, ok, failed, complete } = saved;
  return { lines, outputBytes, position, ok, failed, complete };
}

/** Replaces the checkpoint atomically; `progress.outputBytes` must already be on disk. */
export async function writeCheckpoint(output: string, job: JobIdentity, progress: Progress): Promise<void> {
  const file = checkpointPath(output);
  const temp = `${file}.tmp-${process.pid}`;
  const body: CheckpointFile = { amaas_batch_checkpoint: FORMAT, job, ...progress };
  const fh = await fsp.open(temp, 'w');
  try {
    await fh.writeFile(`${JSON.stringify(body)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(temp, file);
  await syncFolder(path.dirname(file));
}

/** Makes a rename durable; some file systems refuse fsync on a folder, which then costs nothing. */
async function syncFolder(dir: string): Promise<void> {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Best effort: the rename itself is atomic either way.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export async function removeCheckpoint(output: string): Promise<void> {
  await fsp.rm(checkpointPath(output), { force: true });
}

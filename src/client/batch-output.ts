/**
 * A batch job's output file: lines appended in input order, buffered, written in large pieces, and made
 * durable with a checkpoint at most every `checkpointMs` (batch-checkpoint.ts says why that order is safe).
 * Writes are serialized, so the producer and the consumer of a job may both hand lines over.
 */
import { promises as fsp } from 'node:fs';
import { JobIdentity, Progress, writeCheckpoint } from './batch-checkpoint';

/** Buffered output beyond this many characters is written at once: small, so lines die young (cheap to collect). */
const FLUSH_CHARS = 1 << 16;

export class BatchOutput {
  private chunks: string[] = [];
  private buffered = 0;
  private progress: { -readonly [K in keyof Progress]: Progress[K] };
  private lastCheckpoint = Date.now();
  private busy: Promise<void> = Promise.resolve();
  /** The progress that the bytes written hold (lines added but not yet written are not in it). */
  private written: Progress;

  private constructor(
    private readonly file: string,
    private readonly fh: fsp.FileHandle,
    private readonly job: JobIdentity,
    start: Progress,
    private readonly checkpointMs: number,
  ) {
    this.progress = { ...start };
    this.written = start;
  }

  /** Opens the output: emptied for a fresh job, else cut back to the checkpoint's `outputBytes`. */
  static async open(file: string, job: JobIdentity, start: Progress, checkpointMs: number): Promise<BatchOutput> {
    const fh = await fsp.open(file, start.outputBytes === 0 ? 'w' : 'r+');
    if (start.outputBytes > 0) await fh.truncate(start.outputBytes);
    return new BatchOutput(file, fh, job, start, checkpointMs);
  }

  /** Lines handed over so far (written or still buffered), and their tallies. */
  get state(): Progress {
    return this.progress;
  }

  /** One output line (with its newline); `next`: the input position after the row it answers. */
  add(text: string, ok: boolean, next: number): void {
    this.chunks.push(text);
    this.buffered += text.length;
    this.progress.lines++;
    if (ok) this.progress.ok++;
    else this.progress.failed++;
    this.progress.position = next;
  }

  /** Writes when enough is buffered, and checkpoints when the last checkpoint is `checkpointMs` old. */
  flushIfDue(): Promise<void> {
    const due = Date.now() - this.lastCheckpoint >= this.checkpointMs;
    if (!due && this.buffered < FLUSH_CHARS) return this.busy;
    return this.serialized(() => this.write(due));
  }

  /** Writes everything, makes it durable and checkpoints it; `complete` marks the job done. */
  checkpoint(complete = false): Promise<void> {
    return this.serialized(async () => {
      this.progress.complete = complete;
      await this.write(true);
    });
  }

  close(): Promise<void> {
    return this.busy.then(() => this.fh.close());
  }

  private serialized(step: () => Promise<void>): Promise<void> {
    this.busy = this.busy.then(step);
    return this.busy;
  }

  private async write(checkpoint: boolean): Promise<void> {
    if (this.chunks.length > 0) {
      const bytes = Buffer.from(this.chunks.join(''), 'utf8');
      // The tallies are taken with the text, so the checkpoint below names exactly these lines.
      const snapshot = { ...this.progress };
      this.chunks = [];
      this.buffered = 0;
      await this.fh.write(bytes, 0, bytes.length, snapshot.outputBytes);
      this.progress.outputBytes = snapshot.outputBytes + bytes.length;
      this.written = { ...snapshot, outputBytes: snapshot.outputBytes + bytes.length };
    }
    if (!checkpoint) return;
    await this.fh.datasync();
    await writeCheckpoint(this.file, this.job, { ...this.written, complete: this.progress.complete && this.chunks.length === 0 });
    this.lastCheckpoint = Date.now();
  }
}

/**
 * The audit trail: one JSON line per security decision that matters (every denial, every admin call, and,
 * with `audit.inference: true`, every allowed inference call), appended to `audit.file` or written to stdout.
 *
 *   {"time":"2026-05-01T12:00:00.000Z","tenant":"acme","key_id":"acme-2026-12","peer":"ipv4:10.0.0.7:51234",
 *    "method":"/amaas.v1.ModelService/Predict","model":"fraud_v2","version":"3","decision":"deny",
 *    "reason":"model not allowed or not found","request_id":"..."}
 *
 * An entry has no field that could hold a key or token: the caller records who (tenant, key id) and why,
 * never what was presented. Client-given text (method, model, version) is cut to its first 128 characters
 * (errors-format.ts excerpt) and JSON-escaped, so a name cannot forge a line.
 */
import fs from 'node:fs';
import { AmaasError } from '../errors';
import { excerpt } from '../errors-format';
import { createLogger } from '../observability/logging';

const log = createLogger('security');

export type AuditDecision = 'allow' | 'deny';

export interface AuditEntry {
  /** '' when unknown (no or invalid credentials). */
  readonly tenant: string;
  /** The key id, JWT subject or certificate name; '' when unknown. Never the key. */
  readonly keyId: string;
  /** The peer as grpc-js or the HTTP socket gives it (`ipv4:10.0.0.7:51234`). */
  readonly peer: string;
  /** The gRPC method path or `HTTP <verb> <route>`. */
  readonly method: string;
  readonly model?: string;
  readonly version?: string | number;
  readonly decision: AuditDecision;
  /** Why: 'allowed', 'no credentials', 'invalid credentials', 'expired key', 'scope admin missing', ... */
  readonly reason: string;
  readonly requestId?: string;
}

export interface AuditConfig {
  /** Append to this file; null or undefined: stdout. */
  readonly file?: string | null;
  /** Also record every allowed inference call. */
  readonly inference?: boolean;
}

export interface AuditSink {
  write(line: string): void;
  close(): Promise<void>;
}

/** The line for one entry (exported for tests and for the HTTP gate's own use). */
export function auditLine(entry: AuditEntry, now: Date = new Date()): string {
  return `${JSON.stringify({
    time: now.toISOString(),
    tenant: entry.tenant,
    key_id: entry.keyId,
    peer: excerpt(entry.peer),
    method: excerpt(entry.method),
    model: entry.model === undefined ? null : excerpt(entry.model),
    version: entry.version === undefined || entry.version === '' || entry.version === 0 ? null : excerpt(String(entry.version)),
    decision: entry.decision,
    reason: entry.reason,
    request_id: entry.requestId === undefined ? null : excerpt(entry.requestId),
  })}\n`;
}

function fileSink(file: string): AuditSink {
  let fd: number;
  try {
    fd = fs.openSync(file, 'a', 0o640);
  } catch (err) {
    throw new AmaasError('AMAAS_ERR_CONFIG_INVALID', `audit.file ${file} cannot be opened for appending: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const stream = fs.createWriteStream(file, { fd, flags: 'a', autoClose: true });
  let failed = false;
  stream.on('error', (err) => {
    if (!failed) log.error('audit log write failed; audit entries are being lost', { file, message: err.message });
    failed = true;
  });
  return {
    write: (line) => {
      if (!stream.destroyed) stream.write(line);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (stream.destroyed) return resolve();
        stream.end(() => resolve());
      }),
  };
}

const stdoutSink: AuditSink = {
  write: (line) => {
    process.stdout.write(line);
  },
  close: async () => {},
};

export class AuditLog {
  private closed = false;

  constructor(
    private readonly sink: AuditSink,
    /** Whether allowed inference calls are recorded too (audit.inference). */
    readonly inference: boolean = false,
  ) {}

  /** Opens the configured sink; a file that cannot be opened throws AMAAS_ERR_CONFIG_INVALID (startup). */
  static open(config: AuditConfig = {}): AuditLog {
    return new AuditLog(config.file ? fileSink(config.file) : stdoutSink, config.inference ?? false);
  }

  record(entry: AuditEntry): void {
    if (this.closed) return;
    this.sink.write(auditLine(entry));
  }

  /** Flushes and closes the file (a no-op for stdout); later records are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sink.close();
  }
}

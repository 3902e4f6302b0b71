/**
 * The server log as data: under jest stderr is not a terminal, so every log line is one JSON object
 * (src/observability/logging.ts). parseLogLines reads a process's stderr; captureLogs collects what this
 * process writes to stderr (the in-process test server's log) until it is restored.
 */
export interface LogLine {
  readonly time: string;
  readonly level: string;
  readonly module: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** The JSON log lines of `text`; anything else in it (a stack trace printed by Node, say) is skipped. */
export function parseLogLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // not a log line
    }
  }
  return out;
}

export interface CapturedLogs {
  lines(): LogLine[];
  /** Every chunk written to stderr, as written. */
  text(): string;
  restore(): void;
}

/** Replaces process.stderr.write (the logger looks it up per line) until restore(). */
export function captureLogs(): CapturedLogs {
  const chunks: string[] = [];
  const original = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  return {
    lines: () => parseLogLines(chunks.join('')),
    text: () => chunks.join(''),
    restore: () => {
      process.stderr.write = original;
    },
  };
}

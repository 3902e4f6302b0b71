/**
 * The readable form of a log line, for a terminal: `2026-05-01T12:00:00.000Z INFO  [server] serving
 * address=127.0.0.1:50051 models=3`. pino writes JSON; this turns each line around on its way to a TTY only
 * (a person reads it, so the extra parse costs nothing that matters), and pino-pretty's worker thread is not
 * needed for that.
 */

const SHOWN_FIRST = new Set(['time', 'level', 'module', 'msg']);

function value(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return /[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text;
}

/** One JSON log line (with its newline) as one text line; anything that is not a JSON object passes as is. */
export function textLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  if (typeof entry !== 'object' || entry === null) return json;
  let out = `${String(entry.time ?? '')} ${String(entry.level ?? '').toUpperCase().padEnd(5)} [${String(entry.module ?? '')}] ${String(entry.msg ?? '')}`;
  for (const [k, v] of Object.entries(entry)) if (!SHOWN_FIRST.has(k)) out += ` ${k}=${value(v)}`;
  return `${out}\n`;
}

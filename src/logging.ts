/**
 * Logging: one line per event on stderr, `time level [module] message key=value ...`. The level comes from
 * the server config; AMAAS_TRACE=pool,scheduler (or `all`) turns on debug lines for named modules only, so a
 * maintainer can watch one stage without drowning in the rest.
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

let threshold: LogLevel = (process.env.AMAAS_LOG_LEVEL as LogLevel) in RANK ? (process.env.AMAAS_LOG_LEVEL as LogLevel) : 'info';
const traced = new Set((process.env.AMAAS_TRACE ?? '').split(',').map((s) => s.trim()).filter(Boolean));

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

function format(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    out += ` ${k}=${/\s/.test(text) ? JSON.stringify(text) : text}`;
  }
  return out;
}

export function createLogger(module: string): Logger {
  const enabled = (level: LogLevel) =>
    RANK[level] <= RANK[threshold] || (level === 'debug' && (traced.has(module) || traced.has('all')));
  const write = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (!enabled(level)) return;
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${module}] ${message}${format(fields)}\n`);
  };
  return {
    error: (m, f) => write('error', m, f),
    warn: (m, f) => write('warn', m, f),
    info: (m, f) => write('info', m, f),
    debug: (m, f) => write('debug', m, f),
  };
}

/**
 * Logging, with pino: one JSON object per line on stderr, `{"level":"info","time":"...","module":"server",
 * "msg":"serving",...fields}`, or a readable one-line text form when stderr is a terminal (log-text.ts).
 * stdout is not used: it carries the `amaas serving on ...` lines scripts wait for and, by default, the audit
 * trail.
 *
 * The level comes from the server config (log_level, AMAAS_LOG_LEVEL); AMAAS_TRACE=pool,scheduler (or `all`)
 * turns on debug lines for the named modules only, so a maintainer can watch one stage without the rest.
 * Each module's logger is a pino child whose level is set here, so a disabled level costs a no-op call.
 *
 * Other modules import this file directly rather than the observability index: every module logs, so the
 * logger must stay a leaf of the import graph (the index also pulls in the metrics code).
 */
import pino from 'pino';
import { textLine } from './log-text';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
const isLevel = (v: unknown): v is LogLevel => LEVELS.includes(v as LogLevel);

export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

/** Where lines go. process.stderr is looked up per line, so a test that replaces its write() sees them. */
export interface LogDestination {
  write(line: string): void;
}

const stderrJson: LogDestination = { write: (line) => void process.stderr.write(line) };
const stderrText: LogDestination = { write: (line) => void process.stderr.write(textLine(line)) };

/**
 * Field names that would carry a credential if a caller ever logged one: their values are replaced. Messages
 * never hold credentials either (the security layer logs who, never what was presented).
 */
export const REDACTED_FIELDS = ['authorization', 'api_key', 'apiKey', 'key', 'token', 'password', 'headers.authorization'];

/** The pino options every amaas logger shares. */
function pinoOptions(): pino.LoggerOptions {
  return {
    level: 'debug',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_FIELDS, censor: '[redacted]' },
  };
}

interface Settings {
  threshold: LogLevel;
  traced: ReadonlySet<string>;
}

function settingsFromEnv(env: NodeJS.ProcessEnv): Settings {
  return {
    threshold: isLevel(env.AMAAS_LOG_LEVEL) ? env.AMAAS_LOG_LEVEL : 'info',
    traced: new Set((env.AMAAS_TRACE ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
  };
}

/**
 * A set of module loggers sharing one destination, threshold and trace list. The process has one (below);
 * tests make their own with a destination they read.
 */
export class LogHub {
  private readonly root: pino.Logger;
  private readonly children = new Map<string, pino.Logger[]>();
  private settings: Settings;

  constructor(destination: LogDestination, env: NodeJS.ProcessEnv = process.env) {
    this.root = pino(pinoOptions(), destination);
    this.settings = settingsFromEnv(env);
  }

  private levelFor(module: string): LogLevel {
    const { threshold, traced } = this.settings;
    return traced.has(module) || traced.has('all') ? 'debug' : threshold;
  }

  setLevel(level: LogLevel): void {
    this.settings = { ...this.settings, threshold: level };
    for (const [module, loggers] of this.children) for (const l of loggers) l.level = this.levelFor(module);
  }

  get level(): LogLevel {
    return this.settings.threshold;
  }

  create(module: string): Logger {
    const child = this.root.child({ module });
    child.level = this.levelFor(module);
    const same = this.children.get(module);
    if (same) same.push(child);
    else this.children.set(module, [child]);
    // child.info etc. are looked up per call: pino swaps them for no-ops when the child's level changes.
    return {
      error: (m, f) => (f ? child.error(f, m) : child.error(m)),
      warn: (m, f) => (f ? child.warn(f, m) : child.warn(m)),
      info: (m, f) => (f ? child.info(f, m) : child.info(m)),
      debug: (m, f) => (f ? child.debug(f, m) : child.debug(m)),
    };
  }
}

const hub = new LogHub(process.stderr.isTTY ? stderrText : stderrJson);

/** Sets the threshold of every module's logger (modules named in AMAAS_TRACE keep debug). */
export function setLogLevel(level: LogLevel): void {
  hub.setLevel(level);
}

export function createLogger(module: string): Logger {
  return hub.create(module);
}

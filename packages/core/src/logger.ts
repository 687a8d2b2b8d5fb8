/** Where Vigil reports its own problems. Any object with these four methods works (pino, console, ...). */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** A logger writing one line per message to stderr, prefixed with `[vigil]`, at or above `level`. */
export function createConsoleLogger(level: LogLevel = 'warn', write: (line: string) => void = defaultWrite): Logger {
  const rank = LOG_LEVELS.indexOf(level);
  const at = (lineLevel: LogLevel) => (message: string) => {
    if (rank >= LOG_LEVELS.indexOf(lineLevel)) write(`[vigil] ${lineLevel}: ${message}\n`);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

function defaultWrite(line: string): void {
  try {
    process.stderr.write(line);
  } catch {
    // stderr closed (EPIPE): nowhere left to report, and the app must not suffer for it.
  }
}

/**
 * Wraps a logger so each kind of problem is reported once at its level (warn unless told) and
 * afterwards only at debug, while counting every occurrence: a failing backend must not flood the
 * app's stderr. The one report-once mechanism of every package (core, exporters, collectors).
 * Without a logger it only counts.
 */
export class ProblemReporter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly logger: Logger | undefined) {}

  /** Report a problem of `kind`; the first one is logged at `level`, repeats go to debug. */
  report(kind: string, message: string, level: 'error' | 'warn' | 'info' = 'warn'): void {
    const seen = this.counts.get(kind) ?? 0;
    this.counts.set(kind, seen + 1);
    const logger = this.logger;
    if (!logger) return;
    safeLog(seen === 0 ? () => logger[level](message) : () => logger.debug(`${message} (repeat ${seen + 1})`));
  }

  /** A debug line, not counted (attempt-by-attempt detail). */
  debug(message: string): void {
    const logger = this.logger;
    if (logger) safeLog(() => logger.debug(message));
  }

  /** How many times each kind of problem happened. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

/** Calls a user-supplied logger without letting it throw into the profiler or the app. */
export function safeLog(log: () => void): void {
  try {
    log();
  } catch {
    // a broken logger is not our caller's problem
  }
}

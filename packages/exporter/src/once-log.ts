import { safeLog, type Logger } from '@vigil/core';

/**
 * Logs each kind of problem once at the given level, later repeats at debug with a count, so a
 * backend that stays down (or a disk that stays full) never floods the app's stderr.
 */
export class OnceLog {
  private readonly counts = new Map<string, number>();

  constructor(private readonly logger: Logger | undefined) {}

  report(kind: string, level: 'error' | 'warn' | 'info', message: string): void {
    const seen = this.counts.get(kind) ?? 0;
    this.counts.set(kind, seen + 1);
    const logger = this.logger;
    if (!logger) return;
    safeLog(() => (seen === 0 ? logger[level](message) : logger.debug(`${message} (repeat ${seen + 1})`)));
  }

  debug(message: string): void {
    const logger = this.logger;
    if (logger) safeLog(() => logger.debug(message));
  }

  /** How often each kind happened. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

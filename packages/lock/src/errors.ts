/** Rejection of an acquire whose `timeoutMs` passed before the lock was granted. */
export class LockTimeoutError extends Error {
  readonly code = 'ERR_LOCK_TIMEOUT';
  constructor(readonly lockName: string, readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms waiting for lock ${lockName}`);
    this.name = 'LockTimeoutError';
  }
}

/** Options every acquire takes. */
export interface AcquireOptions {
  /** Give up (reject with LockTimeoutError) when not granted within this many milliseconds. 0 means "only if free now". */
  timeoutMs?: number;
  /** Give up (reject with `signal.reason`) when this signal aborts before the grant. */
  signal?: AbortSignal;
}

/** Releases what an acquire granted. Calling it more than once has no further effect. */
export type Releaser = () => void;

/** Validates user options once, with messages that say what was wrong. */
export function checkAcquireOptions(options: AcquireOptions | undefined): void {
  if (!options) return;
  const { timeoutMs, signal } = options;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
    throw new RangeError(`timeoutMs must be a number >= 0, got ${String(timeoutMs)}`);
  }
  if (signal !== undefined && !(signal && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
    throw new TypeError('signal must be an AbortSignal');
  }
}

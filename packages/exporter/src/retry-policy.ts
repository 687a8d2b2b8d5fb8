/** How a network exporter retries one upload. */
export interface RetryPolicy {
  /** Attempts per upload, the first included. */
  readonly maxAttempts: number;
  /** Backoff before the second attempt; doubled for each further one. */
  readonly initialBackoffMs: number;
  /** Ceiling on one backoff wait (before jitter). */
  readonly maxBackoffMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, initialBackoffMs: 500, maxBackoffMs: 10_000 };

/** What one HTTP attempt ended with, as far as retrying is concerned. */
export type AttemptOutcome =
  | { kind: 'response'; status: number; retryAfterMs?: number }
  | { kind: 'network-error' }
  | { kind: 'timeout' };

/**
 * 5xx, 429, 408, timeouts and network errors are worth another try: the backend or the path to it
 * is having a bad moment. Other 4xx mean the request itself is wrong and would fail again.
 */
export function isRetryable(outcome: AttemptOutcome): boolean {
  if (outcome.kind !== 'response') return true;
  return outcome.status >= 500 || outcome.status === 429 || outcome.status === 408;
}

/**
 * Wait before attempt number `attempt + 1` (attempt counts from 1): exponential, with "equal
 * jitter" (half fixed, half random) so that many processes restarted together do not retry in
 * lockstep, and never shorter than what the server asked for with Retry-After.
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.max(jittered, retryAfterMs ?? 0);
}

/**
 * Parses a Retry-After header: delay-seconds or an HTTP date. Returns milliseconds from `nowMs`,
 * or undefined when absent or unreadable.
 */
export function parseRetryAfterMs(header: string | string[] | undefined, nowMs: number = Date.now()): number | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

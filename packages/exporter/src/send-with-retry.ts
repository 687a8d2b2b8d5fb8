import type { ExportResult } from '@vigil/core';
import type { HttpRequest, HttpTransport, SendResult } from './http-transport';
import { backoffDelayMs, isRetryable, type AttemptOutcome, type RetryPolicy } from './retry-policy';

export interface SendWithRetryOptions {
  readonly policy: RetryPolicy;
  /** Bound on one attempt. */
  readonly requestTimeoutMs: number;
  /** Epoch ms after which no attempt starts and no wait is begun. */
  readonly deadlineMs: number;
  readonly signal?: AbortSignal;
  /** Scrubs secrets (an API key) from any text that ends up in an error. */
  readonly redact: (text: string) => string;
  /** Called after each attempt, for counters and debug logs. */
  readonly onAttempt?: (attempt: number, result: SendResult) => void;
}

/**
 * Sends one request until it is accepted (2xx), refused for good (4xx other than 408/429), or the
 * attempts, the deadline or the signal run out, waiting with exponential backoff and jitter (and at
 * least Retry-After) between attempts. Never rejects.
 */
export async function sendWithRetry(transport: HttpTransport, request: HttpRequest, options: SendWithRetryOptions): Promise<ExportResult> {
  const { policy, signal, redact } = options;
  const where = transport.target.display;
  let lastProblem = 'no attempt made';
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    if (signal?.aborted) return failure(`upload to ${where} abandoned (${reasonOf(signal)}) after ${attempt - 1} attempt(s); last: ${lastProblem}`, redact);
    const remainingMs = options.deadlineMs - Date.now();
    if (remainingMs <= 0) return failure(`upload to ${where} ran out of time after ${attempt - 1} attempt(s); last: ${lastProblem}`, redact);

    const result = await transport.send(request, { timeoutMs: Math.min(options.requestTimeoutMs, remainingMs), signal });
    options.onAttempt?.(attempt, result);
    let outcome: AttemptOutcome;
    if (result.ok) {
      const { status, retryAfterMs, bodySnippet } = result.response;
      if (status >= 200 && status < 300) return { ok: true };
      lastProblem = `HTTP ${status}${bodySnippet ? `: ${oneLine(bodySnippet)}` : ''}`;
      outcome = { kind: 'response', status, retryAfterMs };
    } else {
      if (result.kind === 'aborted') return failure(`upload to ${where} abandoned: ${result.error.message}; last: ${lastProblem}`, redact);
      lastProblem = result.kind === 'timeout' ? `timed out (${result.error.message})` : `network error (${result.error.message})`;
      outcome = { kind: result.kind };
    }
    if (!isRetryable(outcome)) return failure(`upload to ${where} refused: ${lastProblem}`, redact);
    if (attempt === policy.maxAttempts) break;

    const retryAfterMs = outcome.kind === 'response' ? outcome.retryAfterMs : undefined;
    const delayMs = backoffDelayMs(policy, attempt, retryAfterMs);
    if (Date.now() + delayMs >= options.deadlineMs) {
      const why = retryAfterMs !== undefined && retryAfterMs >= delayMs ? `the server asked to wait ${retryAfterMs} ms` : `the next retry would start after the deadline`;
      return failure(`upload to ${where} gave up after ${attempt} attempt(s): ${why}; last: ${lastProblem}`, redact);
    }
    if (!(await sleepUnlessAborted(delayMs, signal))) {
      return failure(`upload to ${where} abandoned (${reasonOf(signal)}) after ${attempt} attempt(s); last: ${lastProblem}`, redact);
    }
  }
  return failure(`upload to ${where} failed after ${policy.maxAttempts} attempt(s); last: ${lastProblem}`, redact);
}

function failure(message: string, redact: (text: string) => string): ExportResult {
  return { ok: false, error: new Error(redact(message)) };
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}

function reasonOf(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason.message : String(reason ?? 'aborted');
}

/** An unref'ed wait that ends early (returning false) when the signal aborts. */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

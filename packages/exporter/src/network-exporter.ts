import { DEFAULT_UPLOAD_TIMEOUT_MS, ProblemReporter, type Exporter, type ExportResult, type Logger, type ProfileBatch } from '@vigil/core';
import { startDetachedUpload } from './detached-upload';
import { HttpTransport, type HttpRequest, type HttpTarget } from './http-transport';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy';
import { sendWithRetry } from './send-with-retry';

/** Options every network exporter shares. */
export interface NetworkExporterOptions {
  /**
   * Budget for one batch, all attempts and waits included (DD_PROFILING_UPLOAD_TIMEOUT, default
   * 60 s). The abort signal core passes can end it sooner.
   */
  uploadTimeoutMs?: number;
  /** Bound on one HTTP attempt; default a third of the upload budget, at most 20 s, so retries fit. */
  requestTimeoutMs?: number;
  /** Attempts and backoff; default 5 attempts, 0.5 s doubling up to 10 s, with jitter. */
  retry?: Partial<RetryPolicy>;
  /** How long the detached uploader started on process.exit() keeps trying; default 15 s. */
  exitUploadTimeoutMs?: number;
  /** Where problems are reported, once per kind. */
  logger?: Logger;
}

/** Counters a network exporter keeps (read them with `exporter.stats`). */
export interface NetworkExporterStats {
  /** Batches delivered completely. */
  delivered: number;
  /** Batches (or parts of one) given up on. */
  failed: number;
  /** HTTP attempts made, first tries and retries. */
  attempts: number;
  /** Detached uploaders started: on process.exit(), and for a final upload that failed once. */
  detachedUploads: number;
}

const MAX_REQUEST_TIMEOUT_MS = 20_000;
const DEFAULT_EXIT_UPLOAD_TIMEOUT_MS = 15_000;

/**
 * The shared half of the agent and Pyroscope exporters (and of any later HTTP exporter): turns a
 * batch into requests (subclass), sends them over one keep-alive transport with retries inside the
 * upload budget and the abort signal, and on process.exit() hands them to a detached uploader.
 */
export abstract class NetworkExporter implements Exporter {
  abstract readonly name: string;
  readonly stats: NetworkExporterStats = { delivered: 0, failed: 0, attempts: 0, detachedUploads: 0 };
  protected readonly log: ProblemReporter;
  protected readonly transport: HttpTransport;
  private readonly uploadTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly exitUploadTimeoutMs: number;
  private readonly policy: RetryPolicy;

  protected constructor(target: HttpTarget, options: NetworkExporterOptions) {
    this.log = new ProblemReporter(options.logger);
    this.transport = new HttpTransport(target);
    this.uploadTimeoutMs = positive(options.uploadTimeoutMs, DEFAULT_UPLOAD_TIMEOUT_MS);
    this.requestTimeoutMs = positive(options.requestTimeoutMs, Math.min(MAX_REQUEST_TIMEOUT_MS, Math.max(1, Math.floor(this.uploadTimeoutMs / 3))));
    this.exitUploadTimeoutMs = positive(options.exitUploadTimeoutMs, DEFAULT_EXIT_UPLOAD_TIMEOUT_MS);
    this.policy = {
      maxAttempts: Math.max(1, Math.floor(options.retry?.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts)),
      initialBackoffMs: Math.max(0, options.retry?.initialBackoffMs ?? DEFAULT_RETRY_POLICY.initialBackoffMs),
      maxBackoffMs: Math.max(0, options.retry?.maxBackoffMs ?? DEFAULT_RETRY_POLICY.maxBackoffMs),
    };
  }

  /** The requests that ship one batch (encoding off the hot path: async protobuf + threadpool gzip). */
  protected abstract requestsFor(batch: ProfileBatch): Promise<HttpRequest[]>;
  /** The same, synchronously, for the exit path. */
  protected abstract requestsForSync(batch: ProfileBatch): HttpRequest[];
  /** Removes secrets from text that may reach a log or an error. */
  protected redact(text: string): string {
    return text;
  }

  async export(batch: ProfileBatch, signal: AbortSignal): Promise<ExportResult> {
    const deadlineMs = Date.now() + this.uploadTimeoutMs;
    let requests: HttpRequest[];
    try {
      requests = await this.requestsFor(batch);
    } catch (error) {
      this.stats.failed++;
      return { ok: false, error: new Error(this.redact(`${this.name} could not encode the batch: ${(error as Error)?.message ?? String(error)}`)) };
    }
    // The final batch (stop, exit) gets one attempt here: retrying an unreachable backend in process
    // held every exit of the app for the whole stop deadline (3 s with no agent running). What the
    // attempt does not deliver goes to the detached uploader, which retries after the app is gone.
    const final = batch.period.final;
    const policy = final ? { ...this.policy, maxAttempts: 1 } : this.policy;
    // In parallel: behind a busy app every await costs one of its synchronous chunks, and one upload
    // after the other doubled the time an export needed to get through.
    const results = await Promise.all(requests.map((request) => sendWithRetry(this.transport, request, {
      policy,
      requestTimeoutMs: this.requestTimeoutMs,
      deadlineMs,
      signal,
      redact: (text) => this.redact(text),
      onAttempt: (attempt, outcome) => {
        this.stats.attempts++;
        if (attempt > 1 || !outcome.ok || outcome.response.status >= 300) {
          const what = outcome.ok ? `HTTP ${outcome.response.status}` : `${outcome.kind}: ${outcome.error.message}`;
          this.log.debug(this.redact(`${this.name}: attempt ${attempt} to ${this.transport.target.display}: ${what}`));
        }
      },
    })));
    const problems = results.flatMap((result) => (result.ok ? [] : [result.error.message]));
    if (final && problems.length > 0 && this.policy.maxAttempts > 1 && !signal.aborted) {
      const undelivered = requests.filter((_, i) => !results[i]!.ok);
      const handedOver = this.handToDetachedUploader(undelivered, { ...this.policy, maxAttempts: this.policy.maxAttempts - 1 });
      if (handedOver.ok) {
        this.log.debug(`${this.name}: the final upload failed once (${problems.join('; ')}); the detached uploader retries it`);
        return handedOver;
      }
    }
    if (problems.length === 0) {
      this.stats.delivered++;
      return { ok: true };
    }
    this.stats.failed++;
    return { ok: false, error: new Error(problems.join('; ')) };
  }

  exportSync(batch: ProfileBatch): ExportResult {
    let requests: HttpRequest[];
    try {
      requests = this.requestsForSync(batch);
    } catch (error) {
      return { ok: false, error: new Error(this.redact(`${this.name} could not encode the batch: ${(error as Error)?.message ?? String(error)}`)) };
    }
    return requests.length === 0 ? { ok: true } : this.handToDetachedUploader(requests, this.policy);
  }

  private handToDetachedUploader(requests: readonly HttpRequest[], policy: RetryPolicy): ExportResult {
    try {
      startDetachedUpload(this.transport.target, requests, {
        deadlineMs: Date.now() + this.exitUploadTimeoutMs,
        requestTimeoutMs: Math.min(this.requestTimeoutMs, this.exitUploadTimeoutMs),
        policy,
      });
      this.stats.detachedUploads++;
      return { ok: true };
    } catch (error) {
      return { ok: false, error: new Error(this.redact(`${this.name} could not start the exit uploader: ${(error as Error)?.message ?? String(error)}`)) };
    }
  }

  async shutdown(): Promise<void> {
    this.transport.close();
  }
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

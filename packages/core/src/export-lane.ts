import { TIMED_OUT, withDeadline, withResponsiveDeadline } from './deadline';
import type { ProblemReporter } from './logger';
import type { Exporter, ExportResult, ProfileBatch } from './types';

export interface ExportLaneOptions {
  /** Batches waiting behind the one in flight; past this the oldest is dropped. */
  maxQueuedBatches: number;
  /** Abort an export after this long. */
  timeoutMs: number;
  /** Exports that ignored their abort signal and never settled; past this, new batches are dropped. */
  maxAbandonedExports: number;
  problems: ProblemReporter;
}

export interface ExportLaneStats {
  exported: number;
  failed: number;
  timedOut: number;
  droppedBatches: number;
}

/**
 * Delivers batches to one exporter, one at a time, so a slow backend never overlaps its own
 * exports nor holds more than `maxQueuedBatches` batches in memory. Drops are counted.
 */
export class ExportLane {
  private readonly queue: ProfileBatch[] = [];
  private inFlight: { batch: ProfileBatch; controller: AbortController } | undefined;
  private draining: Promise<void> | undefined;
  private abandoned = 0;
  readonly stats: ExportLaneStats = { exported: 0, failed: 0, timedOut: 0, droppedBatches: 0 };

  constructor(readonly exporter: Exporter, private readonly options: ExportLaneOptions) {}

  enqueue(batch: ProfileBatch): void {
    if (this.abandoned >= this.options.maxAbandonedExports) {
      this.drop(`exporter ${this.exporter.name} has ${this.abandoned} exports that never finished; dropping new profiles until one does`);
      return;
    }
    if (this.queue.length >= this.options.maxQueuedBatches) {
      this.queue.shift();
      this.drop(`exporter ${this.exporter.name} is slower than the upload period; dropped the oldest queued profiles`);
    }
    this.queue.push(batch);
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  /** Resolves when everything queued so far has been handed to the exporter, or at `deadlineMs` (epoch ms). */
  async idle(deadlineMs: number): Promise<boolean> {
    while (this.draining) {
      if ((await withDeadline(this.draining, deadlineMs - Date.now())) === TIMED_OUT) return false;
    }
    return true;
  }

  /** Aborts the export in flight (stop()'s deadline passed). */
  abortInFlight(reason: string): void {
    this.inFlight?.controller.abort(new Error(reason));
  }

  /**
   * Removes and returns every batch not yet delivered, the one in flight included, for the
   * synchronous exit path: delivering one twice is better than losing it.
   */
  takeUndelivered(): ProfileBatch[] {
    const pending = this.inFlight ? [this.inFlight.batch, ...this.queue] : [...this.queue];
    this.queue.length = 0;
    this.inFlight = undefined;
    return pending;
  }

  private drop(message: string): void {
    this.stats.droppedBatches++;
    this.options.problems.report(`export-dropped:${this.exporter.name}`, `${message} (${this.stats.droppedBatches} dropped so far)`);
  }

  private async drain(): Promise<void> {
    let batch: ProfileBatch | undefined;
    while ((batch = this.queue.shift())) {
      const controller = new AbortController();
      this.inFlight = { batch, controller };
      await this.deliver(batch, controller);
      if (this.inFlight?.batch === batch) this.inFlight = undefined;
    }
  }

  private async deliver(batch: ProfileBatch, controller: AbortController): Promise<void> {
    const name = this.exporter.name;
    const attempt = callExporter(this.exporter, batch, controller.signal);
    // Time the app kept the event loop busy is not the exporter's: a busy app must still deliver.
    const result = await withResponsiveDeadline(attempt, this.options.timeoutMs);
    if (result === TIMED_OUT) {
      controller.abort(new Error(`export timed out after ${this.options.timeoutMs} ms`));
      this.stats.timedOut++;
      this.options.problems.report(`export-timeout:${name}`, `exporter ${name} did not finish within ${this.options.timeoutMs} ms; its profiles for this period are lost`);
      // An exporter that ignores its abort signal keeps a batch alive; count it so they cannot pile up.
      this.abandoned++;
      void attempt.finally(() => this.abandoned--);
      return;
    }
    if (result.ok) {
      this.stats.exported++;
    } else {
      this.stats.failed++;
      this.options.problems.report(`export-failed:${name}`, `exporter ${name} failed: ${result.error.message}`);
    }
  }
}

/** Runs an exporter's export so that a throw or rejection becomes a failed result. */
export async function callExporter(exporter: Exporter, batch: ProfileBatch, signal: AbortSignal): Promise<ExportResult> {
  try {
    const result = await exporter.export(batch, signal);
    if (result && typeof result === 'object' && 'ok' in result) return result;
    return { ok: false, error: new Error(`returned ${String(result)} instead of an ExportResult`) };
  } catch (error) {
    return { ok: false, error: toError(error) };
  }
}

export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

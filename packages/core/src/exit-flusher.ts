import { installExitHooks, type ExitParticipant } from './exit-hooks';
import type { ExportLane } from './export-lane';
import { toError } from './export-lane';
import type { ProblemReporter } from './logger';
import { isEmpty } from './period-batch';
import { exportSyncTo } from './sync-export';
import type { ProfileBatch } from './types';

/** What the exit flusher needs from its profiler. */
export interface ExitFlushSource {
  /** Longest an asynchronous exit flush (beforeExit, a signal) may take. */
  readonly budgetMs: number;
  readonly lanes: readonly ExportLane[];
  readonly problems: ProblemReporter;
  /** Stops with a flush bounded by the budget, when still running. */
  stopForExit(): Promise<void>;
  /**
   * Closes the open period and collects it synchronously; undefined when there is none (already
   * stopped). Marks the profiler stopped.
   */
  takeFinalBatchSync(): ProfileBatch | undefined;
}

/**
 * The profiler's part in the process's exit paths: beforeExit and terminating signals flush
 * asynchronously within the budget; `exit` (process.exit(), an uncaught exception) allows no
 * asynchronous work, so the final batch and anything still undelivered go to each exporter's
 * synchronous path. Returns the function that unregisters.
 */
export function installExitFlusher(source: ExitFlushSource): () => void {
  const participant: ExitParticipant = {
    budgetMs: source.budgetMs,
    beforeExit: () => source.stopForExit(),
    signal: () => source.stopForExit(),
    exitSync: () => flushSyncAtExit(source),
  };
  return installExitHooks(participant);
}

function flushSyncAtExit(source: ExitFlushSource): void {
  try {
    const batch = source.takeFinalBatchSync();
    if (batch && !isEmpty(batch)) for (const lane of source.lanes) exportSyncTo(lane.exporter, batch, source.problems);
    for (const lane of source.lanes) {
      for (const undelivered of lane.takeUndelivered()) exportSyncTo(lane.exporter, undelivered, source.problems);
    }
  } catch (error) {
    source.problems.report('exit-flush-failed', `flush at exit failed: ${toError(error).message}`);
  }
}

import { toError } from './export-lane';
import type { ProblemReporter } from './logger';
import type { Exporter, ProfileBatch } from './types';

/**
 * Hands a batch to an exporter's synchronous path (the `exit` event, an urgent export). Exporters
 * without one lose it, and a warning says so once.
 */
export function exportSyncTo(exporter: Exporter, batch: ProfileBatch, problems: ProblemReporter): void {
  if (!exporter.exportSync) {
    problems.report(`exit-no-sync-export:${exporter.name}`, `exporter ${exporter.name} cannot export synchronously; profiles pending at process.exit() are lost for it`);
    return;
  }
  try {
    const result = exporter.exportSync(batch);
    if (result && !result.ok) problems.report(`export-failed:${exporter.name}`, `exporter ${exporter.name} failed at exit: ${result.error.message}`);
  } catch (error) {
    problems.report(`export-failed:${exporter.name}`, `exporter ${exporter.name} failed at exit: ${toError(error).message}`);
  }
}

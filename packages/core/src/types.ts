import type { Profile } from 'pprof-format';
import type { Logger } from './logger';
import type { RuntimeInfo } from './runtime-info';
import type { SharedResources } from './shared-resources';

/** A half-open time window [startMs, endMs) that one batch of profiles covers. */
export interface Period {
  /** 1 for the first period of this process, then +1 per period. */
  readonly seq: number;
  /** Wall-clock start, milliseconds since the Unix epoch. */
  readonly startMs: number;
  /** Wall-clock end, milliseconds since the Unix epoch. */
  readonly endMs: number;
  /** True for the last period, closed by stop() or process exit. */
  readonly final: boolean;
}

/**
 * One pprof profile produced by a collector for a period.
 * `type` names the kind of data ('cpu', 'wall', 'space', 'events', 'lock', ...);
 * exporters use it for file and attachment names, so keep it short and path-safe.
 */
export interface NamedProfile {
  readonly type: string;
  readonly profile: Profile;
  /** Tags that apply to this profile only (e.g. `thread id`), added to the batch tags on export. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** What a collector hands back for a period. A collector reports failures here instead of throwing. */
export interface CollectResult {
  profiles: NamedProfile[];
  errors: Error[];
  /** Number of root spans per endpoint seen in the period, for collectors that know them. */
  endpointCounts?: Record<string, number>;
}

/** What core gives a collector when it starts. */
export interface CollectorContext {
  readonly logger: Logger;
  /** The profiler's resolved tags (service, env, version, user tags, runtime tags). */
  readonly tags: Readonly<Record<string, string>>;
  readonly runtime: RuntimeInfo;
  /** The environment the profiler was configured from (process.env unless overridden). */
  readonly env: Readonly<NodeJS.ProcessEnv>;
  /** Process-wide, reference-counted resources shared between collectors (e.g. one V8 sampler). */
  readonly shared: SharedResources;
  /** The configured period length, so a collector can size its buffers. */
  readonly periodMs: number;
  /**
   * Hands profiles to every exporter's synchronous path right now, outside the period cycle, for
   * a process about to die (e.g. a heap profile written when the heap nears its limit).
   * Exporters without `exportSync` are skipped.
   */
  exportSync(profiles: NamedProfile[], reason: string): void;
}

/**
 * A profiling dimension. Implement this to add your own: core calls `start` once,
 * `collect` at the end of every period, and `stop` once.
 */
export interface Collector {
  /** Short unique name: 'cpu', 'wall', 'heap', 'lock', or your own. */
  readonly name: string;
  start(ctx: CollectorContext): void;
  /** Profiles for the period that just ended. Must not reject: put errors in the result. */
  collect(period: Period): Promise<CollectResult>;
  /**
   * Synchronous variant used when the process exits through `process.exit()` or an uncaught
   * exception, where no asynchronous work can run. Optional: without it the final partial period
   * of this collector is lost on those exit paths (and a warning says so once).
   */
  collectSync?(period: Period): CollectResult;
  stop(): Promise<void>;
}

/** Everything an exporter needs to ship one period. */
export interface ProfileBatch {
  readonly period: Period;
  /** service, env, version, user tags and runtime tags (runtime-id, process_id, ...). */
  readonly tags: Readonly<Record<string, string>>;
  readonly profiles: readonly NamedProfile[];
  /** Root spans per endpoint in the period (empty without tracing correlation). */
  readonly endpointCounts: Readonly<Record<string, number>>;
  readonly runtime: RuntimeInfo;
}

export type ExportResult = { ok: true } | { ok: false; error: Error };

/** A destination for profiles. Implement this to ship profiles somewhere of your own. */
export interface Exporter {
  /** Short name used in logs and counters. */
  readonly name: string;
  /**
   * Ship one batch. Must not reject: return `{ ok: false, error }`. Abandon the work when
   * `signal` aborts (the upload timeout or stop()'s deadline passed).
   */
  export(batch: ProfileBatch, signal: AbortSignal): Promise<ExportResult>;
  /**
   * Synchronous hand-off used on `process.exit()`: write a file, spool for the next start, or start
   * a detached uploader. Optional: without it, batches still pending at that moment are lost for this
   * exporter (and a warning says so once).
   */
  exportSync?(batch: ProfileBatch): ExportResult;
  shutdown(): Promise<void>;
}

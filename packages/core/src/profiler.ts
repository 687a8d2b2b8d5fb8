import { basename, extname } from 'node:path';
import { startChildProfiling } from './child-setup';
import { CollectorRunner } from './collector-runner';
import { readEnvConfig, type VigilEnvConfig } from './config/env-config';
import { parseTags } from './config/env-reader';
import { TIMED_OUT, withDeadline } from './deadline';
import { installExitFlusher } from './exit-flusher';
import { ExportLane, toError, type ExportLaneStats } from './export-lane';
import { createConsoleLogger, isLogLevel, ProblemReporter, safeLog, type Logger, type LogLevel } from './logger';
import { isEmpty, makeBatch } from './period-batch';
import { runtimeInfo, type RuntimeInfo } from './runtime-info';
import { sharedResources } from './shared-resources';
import { exportSyncTo } from './sync-export';
import type { CollectResult, Collector, CollectorContext, Exporter, NamedProfile, Period, ProfileBatch } from './types';
import { userLabelsDropped } from './user-labels';

export interface ProfilerOptions {
  /** Service name; default DD_SERVICE, else the main script's name. */
  service?: string;
  /** Deployment environment; default DD_ENV. */
  env?: string;
  /** Application version; default DD_VERSION. */
  version?: string;
  /** User tags, as an object or in DD_TAGS syntax; merged over DD_TAGS. */
  tags?: Readonly<Record<string, string>> | string;
  collectors?: Collector[];
  exporters?: Exporter[];
  /** Length of a period; default DD_PROFILING_UPLOAD_PERIOD (seconds) or 60 s. */
  uploadPeriodMs?: number;
  /** Longest an export may take; default DD_PROFILING_UPLOAD_TIMEOUT or 60 s, capped at the period. */
  uploadTimeoutMs?: number;
  /** Longest an exit (beforeExit, signal) waits for the final flush; default VIGIL_EXIT_FLUSH_TIMEOUT or 3 s. */
  exitFlushTimeoutMs?: number;
  /** Longest a collector's collect() may take; default 10 s, capped at the period. */
  collectTimeoutMs?: number;
  /** Batches an exporter may have waiting behind the one in flight; default 2. */
  maxQueuedBatchesPerExporter?: number;
  /** A logger, or a level for the built-in stderr logger; default VIGIL_LOG_LEVEL or warn. */
  logger?: Logger | LogLevel;
  /**
   * Module child processes preload when `profileChildren` is on; default `@vigil/profiler/register`
   * when it can be resolved from the working directory.
   */
  childPreload?: string;
  /** Environment to read configuration from; default process.env. */
  environment?: NodeJS.ProcessEnv;
}

export interface StartOptions {
  /** Export the last partial period on beforeExit, process.exit(), SIGTERM, SIGINT and SIGHUP. Default true. */
  stopOnExit?: boolean;
  /** Profile child Node processes (NODE_OPTIONS in their spawn options; this process's env is left alone). Default true. */
  profileChildren?: boolean;
}

export interface StopOptions {
  /** Collect and export the partial period before stopping. Default true. */
  flush?: boolean;
  /** Bound on the whole stop, default the upload timeout. */
  timeoutMs?: number;
}

export type ProfilerState = 'idle' | 'running' | 'stopping' | 'stopped';

export interface ProfilerStats {
  state: ProfilerState;
  periods: number;
  /** Periods whose collection was skipped because the previous one was still running. */
  skippedPeriods: number;
  exporters: Record<string, ExportLaneStats>;
  /** Problems by kind, with how often each happened. */
  problems: Record<string, number>;
  /** withLabels values written `(other)` for lack of room (process-wide, since start). */
  userLabelValuesDropped: number;
}

const DEFAULT_COLLECT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_QUEUED_BATCHES = 2;
const MAX_ABANDONED_EXPORTS = 2;

/**
 * Runs collectors on a fixed period and hands each period's profiles to every exporter.
 * Owns time, tags and lifecycle; collection (CollectorRunner), delivery (ExportLane), the exit
 * paths (exit-flusher) and children (child-setup) each live in their own file.
 */
export class Profiler {
  readonly tags: Readonly<Record<string, string>>;
  readonly runtime: RuntimeInfo;
  readonly periodMs: number;
  private readonly logger: Logger;
  private readonly problems: ProblemReporter;
  private readonly config: VigilEnvConfig;
  private readonly environment: NodeJS.ProcessEnv;
  private readonly collectors: Collector[];
  private readonly collectorRunner: CollectorRunner;
  private readonly lanes: ExportLane[];
  private readonly uploadTimeoutMs: number;
  private readonly exitFlushTimeoutMs: number;
  private readonly childPreload: string | undefined;
  private readonly userTags: Record<string, string>;

  private currentState: ProfilerState = 'idle';
  private periodStartMs = 0;
  private seq = 0;
  private skippedPeriods = 0;
  private timer: NodeJS.Timeout | undefined;
  private collecting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private uninstallExitFlusher: (() => void) | undefined;
  private stopChildProfiling: (() => void) | undefined;

  constructor(options: ProfilerOptions = {}) {
    const environment = options.environment ?? process.env;
    this.environment = environment;
    const envWarnings: string[] = [];
    this.config = readEnvConfig(environment, (m) => envWarnings.push(m));
    this.logger = resolveLogger(options.logger, this.config.logLevel);
    for (const warning of envWarnings) safeLog(() => this.logger.warn(warning));
    this.problems = new ProblemReporter(this.logger);
    this.runtime = runtimeInfo();

    const optionTags = typeof options.tags === 'string' ? parseTags(options.tags).tags : { ...options.tags };
    this.userTags = { ...this.config.tags, ...optionTags };
    const service = options.service ?? this.config.service ?? defaultServiceName();
    const env = options.env ?? this.config.environment;
    const version = options.version ?? this.config.version;
    this.tags = Object.freeze({
      ...this.userTags,
      service,
      ...(env ? { env } : {}),
      ...(version ? { version } : {}),
      'runtime-id': this.runtime.runtimeId,
      process_id: String(this.runtime.pid),
    });

    this.periodMs = positiveOr(options.uploadPeriodMs, this.config.uploadPeriodMs, 'uploadPeriodMs', this.logger);
    this.uploadTimeoutMs = Math.min(positiveOr(options.uploadTimeoutMs, this.config.uploadTimeoutMs, 'uploadTimeoutMs', this.logger), this.periodMs);
    this.exitFlushTimeoutMs = options.exitFlushTimeoutMs ?? this.config.exitFlushTimeoutMs;
    const collectTimeoutMs = Math.min(options.collectTimeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS, this.periodMs);
    this.childPreload = options.childPreload;
    this.collectors = uniqueByName(options.collectors ?? [], 'collector', this.logger);
    this.collectorRunner = new CollectorRunner(this.collectors, collectTimeoutMs, this.problems);
    const maxQueuedBatches = options.maxQueuedBatchesPerExporter ?? DEFAULT_MAX_QUEUED_BATCHES;
    this.lanes = uniqueByName(options.exporters ?? [], 'exporter', this.logger).map((exporter) => new ExportLane(exporter, {
      maxQueuedBatches,
      timeoutMs: this.uploadTimeoutMs,
      maxAbandonedExports: MAX_ABANDONED_EXPORTS,
      problems: this.problems,
    }));
  }

  get state(): ProfilerState {
    return this.currentState;
  }

  /** Starts every collector and the period timer. A second call while running warns and does nothing. */
  start(options: StartOptions = {}): void {
    if (this.currentState === 'running' || this.currentState === 'stopping') {
      safeLog(() => this.logger.warn(`start() called while the profiler is ${this.currentState}; ignored`));
      return;
    }
    const { stopOnExit = this.config.stopOnExit, profileChildren = this.config.profileChildren } = options;
    this.currentState = 'running';
    this.stopping = undefined;
    this.periodStartMs = Date.now();
    if (this.collectors.length === 0) this.problems.report('no-collectors', 'profiler started with no collectors: nothing will be profiled');
    if (this.lanes.length === 0) this.problems.report('no-exporters', 'profiler started with no exporters: profiles will be discarded');

    const ctx: CollectorContext = {
      logger: this.logger,
      tags: this.tags,
      runtime: this.runtime,
      env: this.environment,
      shared: sharedResources,
      periodMs: this.periodMs,
      exportSync: (profiles, reason) => this.urgentExportSync(profiles, reason),
    };
    this.collectorRunner.startAll(ctx);
    if (stopOnExit) {
      this.uninstallExitFlusher = installExitFlusher({
        budgetMs: this.exitFlushTimeoutMs,
        lanes: this.lanes,
        problems: this.problems,
        stopForExit: () => (this.currentState === 'running' ? this.stop({ flush: true, timeoutMs: this.exitFlushTimeoutMs }) : this.stopping ?? Promise.resolve()),
        takeFinalBatchSync: () => this.takeFinalBatchSync(),
      });
    }
    if (profileChildren) {
      this.stopChildProfiling = startChildProfiling({
        preloadPath: this.childPreload,
        tags: this.tags,
        userTags: this.userTags,
        periodMs: this.periodMs,
        parentPid: this.runtime.pid,
        logger: this.logger,
        problems: this.problems,
      });
    }
    this.scheduleNextPeriod();
  }

  /**
   * Stops profiling; with `flush` (default) the partial period is collected and exported first.
   * Idempotent, never rejects, and resolves within `timeoutMs` (default the upload timeout)
   * even when every backend is down.
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (this.currentState === 'idle' || this.currentState === 'stopped') return Promise.resolve();
    this.stopping ??= this.shutdown(options.flush ?? true, options.timeoutMs ?? this.uploadTimeoutMs).catch((error) => {
      this.problems.report('stop-failed', `stop failed: ${toError(error).message}`);
    });
    return this.stopping;
  }

  /** Ends the current period now and exports it, without stopping. Resolves when exporters are done. */
  async flush(timeoutMs: number = this.uploadTimeoutMs): Promise<void> {
    if (this.currentState !== 'running') return;
    const deadline = Date.now() + timeoutMs;
    await this.rotatePeriod(false);
    await Promise.all(this.lanes.map((lane) => lane.idle(deadline)));
  }

  stats(): ProfilerStats {
    return {
      state: this.currentState,
      periods: this.seq,
      skippedPeriods: this.skippedPeriods,
      exporters: Object.fromEntries(this.lanes.map((l) => [l.exporter.name, { ...l.stats }])),
      problems: this.problems.snapshot(),
      userLabelValuesDropped: userLabelsDropped(),
    };
  }

  private scheduleNextPeriod(): void {
    const delay = Math.max(0, this.periodStartMs + this.periodMs - Date.now());
    this.timer = setTimeout(() => this.onPeriodEnd(), delay);
    this.timer.unref();
  }

  private onPeriodEnd(): void {
    if (this.currentState !== 'running') return;
    if (this.collecting) {
      this.skippedPeriods++;
      this.problems.report('period-skipped', 'collection took longer than a period; this period is merged into the next');
      this.timer = setTimeout(() => this.onPeriodEnd(), this.periodMs).unref();
      return;
    }
    void this.rotatePeriod(false).finally(() => {
      if (this.currentState === 'running') this.scheduleNextPeriod();
    });
  }

  /** Closes the current period, collects it from every collector and queues it for every exporter. */
  private rotatePeriod(final: boolean): Promise<void> {
    const run = async () => {
      const period = this.closePeriod(final);
      this.dispatch(this.batchOf(period, await this.collectorRunner.collectAll(period, final)));
    };
    const previous = this.collecting ?? Promise.resolve();
    const current = previous.then(run, run).catch((error) => {
      this.problems.report('collect-failed', `collecting a period failed: ${toError(error).message}`);
    });
    this.collecting = current;
    void current.finally(() => {
      if (this.collecting === current) this.collecting = undefined;
    });
    return current;
  }

  private closePeriod(final: boolean): Period {
    const endMs = Math.max(Date.now(), this.periodStartMs);
    const period: Period = { seq: ++this.seq, startMs: this.periodStartMs, endMs, final };
    this.periodStartMs = endMs;
    return period;
  }

  private batchOf(period: Period, results: readonly CollectResult[]): ProfileBatch {
    return makeBatch(period, results, this.tags, this.runtime);
  }

  private dispatch(batch: ProfileBatch): void {
    if (isEmpty(batch)) return;
    for (const lane of this.lanes) lane.enqueue(batch);
  }

  private async shutdown(flush: boolean, timeoutMs: number): Promise<void> {
    this.currentState = 'stopping';
    clearTimeout(this.timer);
    const deadline = Date.now() + timeoutMs;
    if (flush) {
      if ((await withDeadline(this.rotatePeriod(true), deadline - Date.now())) === TIMED_OUT) {
        this.problems.report('stop-collect-timeout', `final collection did not finish within ${timeoutMs} ms`);
      }
      const delivered = await Promise.all(this.lanes.map((lane) => lane.idle(deadline)));
      this.lanes.forEach((lane, i) => {
        if (delivered[i]) return;
        const name = lane.exporter.name;
        lane.abortInFlight(`stop() deadline of ${timeoutMs} ms passed`);
        this.problems.report(`stop-deadline:${name}`, `exporter ${name} did not deliver within the ${timeoutMs} ms stop deadline${lane.exporter.exportSync ? '; handing its profiles to its synchronous path' : '; its last profiles are lost'}`);
        // What the asynchronous path could not deliver in time still gets the synchronous hand-off.
        if (lane.exporter.exportSync) for (const batch of lane.takeUndelivered()) exportSyncTo(lane.exporter, batch, this.problems);
      });
    }
    const bounded = (kind: string, work: () => Promise<void>) => this.bounded(kind, work, Math.max(0, deadline - Date.now()));
    await this.collectorRunner.stopAll(bounded);
    await Promise.all(this.lanes.map((l) => bounded(`exporter-shutdown:${l.exporter.name}`, () => l.exporter.shutdown())));
    this.endProcessHooks();
    this.currentState = 'stopped';
  }

  private endProcessHooks(): void {
    this.uninstallExitFlusher?.();
    this.uninstallExitFlusher = undefined;
    this.stopChildProfiling?.();
    this.stopChildProfiling = undefined;
  }

  private async bounded(kind: string, work: () => Promise<void>, ms: number): Promise<void> {
    try {
      if ((await withDeadline(Promise.resolve().then(work), ms)) === TIMED_OUT) this.problems.report(kind, `${kind} did not finish in time`);
    } catch (error) {
      this.problems.report(kind, `${kind} failed: ${toError(error).message}`);
    }
  }

  /** For the `exit` event: closes the open period and collects it synchronously. */
  private takeFinalBatchSync(): ProfileBatch | undefined {
    const pendingCollect = this.collecting !== undefined;
    const open = this.currentState === 'running' || (this.currentState === 'stopping' && pendingCollect);
    this.currentState = 'stopped';
    if (!open) return undefined;
    clearTimeout(this.timer);
    const period = this.closePeriod(true);
    return this.batchOf(period, this.collectorRunner.collectAllSync(period));
  }

  private urgentExportSync(profiles: NamedProfile[], reason: string): void {
    try {
      safeLog(() => this.logger.warn(`exporting ${profiles.length} profile(s) now: ${reason}`));
      const period: Period = { seq: this.seq + 1, startMs: this.periodStartMs, endMs: Date.now(), final: true };
      const batch = this.batchOf(period, [this.collectorRunner.checked('urgent', { profiles, errors: [] }, period)]);
      if (isEmpty(batch)) return;
      for (const lane of this.lanes) exportSyncTo(lane.exporter, batch, this.problems);
    } catch (error) {
      this.problems.report('urgent-export-failed', `urgent export failed: ${toError(error).message}`);
    }
  }
}

function resolveLogger(option: Logger | LogLevel | undefined, envLevel: LogLevel): Logger {
  if (option && typeof option === 'object') return option;
  return createConsoleLogger(typeof option === 'string' && isLogLevel(option) ? option : envLevel);
}

function positiveOr(value: number | undefined, fallback: number, name: string, logger: Logger): number {
  if (value === undefined) return fallback;
  if (Number.isFinite(value) && value > 0) return value;
  safeLog(() => logger.warn(`option ${name}=${String(value)} is not a positive number; using ${fallback}`));
  return fallback;
}

function uniqueByName<T extends { name: string }>(items: readonly T[], what: string, logger: Logger): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (!item || typeof item.name !== 'string') {
      safeLog(() => logger.warn(`ignoring a ${what} without a name`));
      return false;
    }
    if (seen.has(item.name)) {
      safeLog(() => logger.warn(`ignoring a second ${what} named ${item.name}`));
      return false;
    }
    seen.add(item.name);
    return true;
  });
}

function defaultServiceName(): string {
  const main = process.argv[1];
  return main ? basename(main, extname(main)) || 'node' : 'node';
}

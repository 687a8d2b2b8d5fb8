import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { findDefaultPreload, propagateToChildren, serializeTags } from './child-propagation';
import { readEnvConfig, type VigilEnvConfig } from './config/env-config';
import { parseTags } from './config/env-reader';
import { TIMED_OUT, withDeadline } from './deadline';
import { installExitHooks, type ExitSignal } from './exit-hooks';
import { ExportLane, toError, type ExportLaneStats } from './export-lane';
import { createConsoleLogger, isLogLevel, ProblemReporter, safeLog, type Logger, type LogLevel } from './logger';
import { runtimeInfo, type RuntimeInfo } from './runtime-info';
import { sharedResources } from './shared-resources';
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
  /** Export the last partial period on beforeExit, process.exit(), SIGTERM and SIGINT. Default true. */
  stopOnExit?: boolean;
  /** Profile child Node processes through NODE_OPTIONS. Default true. */
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
 * Owns time, tags, lifecycle and error isolation; knows nothing of any particular dimension.
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
  private readonly lanes: ExportLane[];
  private readonly uploadTimeoutMs: number;
  private readonly exitFlushTimeoutMs: number;
  private readonly collectTimeoutMs: number;
  private readonly childPreload: string | undefined;
  private readonly userTags: Record<string, string>;
  private readonly collectorsRunning = new Set<Collector>();
  private readonly hungCollectors = new Set<Collector>();

  private currentState: ProfilerState = 'idle';
  private periodStartMs = 0;
  private seq = 0;
  private skippedPeriods = 0;
  private timer: NodeJS.Timeout | undefined;
  private collecting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private uninstallExitHooks: (() => void) | undefined;
  private restoreChildEnv: (() => void) | undefined;

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
    this.collectTimeoutMs = Math.min(options.collectTimeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS, this.periodMs);
    this.childPreload = options.childPreload;
    this.collectors = uniqueByName(options.collectors ?? [], 'collector', this.logger);
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
    for (const collector of this.collectors) {
      try {
        collector.start(ctx);
        this.collectorsRunning.add(collector);
      } catch (error) {
        this.problems.report(`collector-start:${collector.name}`, `collector ${collector.name} failed to start and is off: ${toError(error).message}`);
      }
    }
    if (stopOnExit) this.uninstallExitHooks = this.installExitHooks();
    if (profileChildren) this.startChildPropagation();
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
      const results = await Promise.all(this.runningCollectors().map((c) => this.collectFrom(c, period, final)));
      this.dispatch(this.makeBatch(period, results));
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

  private runningCollectors(): Collector[] {
    return this.collectors.filter((c) => this.collectorsRunning.has(c));
  }

  private async collectFrom(collector: Collector, period: Period, preferSync: boolean): Promise<CollectResult> {
    const name = collector.name;
    if (this.hungCollectors.has(collector)) {
      return this.failed(collector, new Error(`collector ${name} is still busy with an earlier period`));
    }
    // The final period prefers the synchronous path, so a process.exit() racing the flush finds it done.
    if (preferSync && collector.collectSync) return this.collectFromSync(collector, period);
    let pending: Promise<CollectResult>;
    try {
      pending = Promise.resolve(collector.collect(period));
    } catch (error) {
      return this.failed(collector, toError(error));
    }
    try {
      const result = await withDeadline(pending, this.collectTimeoutMs);
      if (result === TIMED_OUT) {
        this.hungCollectors.add(collector);
        void pending.catch(() => undefined).finally(() => this.hungCollectors.delete(collector));
        return this.failed(collector, new Error(`collector ${name} did not finish collect() within ${this.collectTimeoutMs} ms`));
      }
      return this.checked(collector, result, period);
    } catch (error) {
      return this.failed(collector, toError(error));
    }
  }

  private collectFromSync(collector: Collector, period: Period): CollectResult {
    try {
      return this.checked(collector, collector.collectSync!(period), period);
    } catch (error) {
      return this.failed(collector, toError(error));
    }
  }

  private failed(collector: Collector, error: Error): CollectResult {
    this.problems.report(`collector-failed:${collector.name}`, `collector ${collector.name} lost this period's data: ${error.message}`);
    return { profiles: [], errors: [error] };
  }

  /** Validates a collector's result and stamps the period's time window on profiles that lack one. */
  private checked(collector: Collector, result: CollectResult, period: Period): CollectResult {
    if (!result || !Array.isArray(result.profiles)) {
      return this.failed(collector, new Error(`collect() returned ${String(result)} instead of { profiles, errors }`));
    }
    for (const error of result.errors ?? []) {
      this.problems.report(`collector-error:${collector.name}`, `collector ${collector.name}: ${toError(error).message}`);
    }
    const profiles = result.profiles.filter((p) => p && typeof p.type === 'string' && p.profile);
    for (const { profile } of profiles) {
      if (!profile.timeNanos || Number(profile.timeNanos) === 0) profile.timeNanos = BigInt(period.startMs) * 1_000_000n;
      if (!profile.durationNanos || Number(profile.durationNanos) === 0) profile.durationNanos = BigInt(period.endMs - period.startMs) * 1_000_000n;
    }
    return { profiles, errors: result.errors ?? [], endpointCounts: result.endpointCounts };
  }

  private makeBatch(period: Period, results: CollectResult[]): ProfileBatch {
    const profiles: NamedProfile[] = results.flatMap((r) => r.profiles);
    const endpointCounts: Record<string, number> = {};
    for (const r of results) {
      for (const [endpoint, count] of Object.entries(r.endpointCounts ?? {})) endpointCounts[endpoint] = (endpointCounts[endpoint] ?? 0) + count;
    }
    return { period, tags: this.tags, profiles, endpointCounts, runtime: this.runtime };
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
        if (lane.exporter.exportSync) for (const batch of lane.takeUndelivered()) this.exportSync(lane.exporter, batch);
      });
    }
    const remaining = () => Math.max(0, deadline - Date.now());
    await Promise.all(this.runningCollectors().map((c) => this.bounded(`collector-stop:${c.name}`, () => c.stop(), remaining())));
    this.collectorsRunning.clear();
    await Promise.all(this.lanes.map((l) => this.bounded(`exporter-shutdown:${l.exporter.name}`, () => l.exporter.shutdown(), remaining())));
    this.uninstallExitHooks?.();
    this.uninstallExitHooks = undefined;
    this.restoreChildEnv?.();
    this.restoreChildEnv = undefined;
    this.currentState = 'stopped';
  }

  private async bounded(kind: string, work: () => Promise<void>, ms: number): Promise<void> {
    try {
      if ((await withDeadline(Promise.resolve().then(work), ms)) === TIMED_OUT) this.problems.report(kind, `${kind} did not finish in time`);
    } catch (error) {
      this.problems.report(kind, `${kind} failed: ${toError(error).message}`);
    }
  }

  private installExitHooks(): () => void {
    return installExitHooks({
      beforeExit: () => {
        if (this.currentState === 'running') void this.stop({ flush: true, timeoutMs: this.exitFlushTimeoutMs });
      },
      exitSync: () => this.flushSyncAtExit(),
      signal: (_signal: ExitSignal, reRaise: () => void) => {
        void this.stop({ flush: true, timeoutMs: this.exitFlushTimeoutMs }).finally(reRaise);
      },
    });
  }

  /**
   * The `exit` event allows no asynchronous work: collect synchronously, then hand the final
   * batch and anything still undelivered to each exporter's synchronous path.
   */
  private flushSyncAtExit(): void {
    try {
      const pendingCollect = this.collecting !== undefined;
      if (this.currentState === 'running' || (this.currentState === 'stopping' && pendingCollect)) {
        clearTimeout(this.timer);
        const period = this.closePeriod(true);
        const results = this.runningCollectors().map((c) => {
          if (c.collectSync) return this.collectFromSync(c, period);
          this.problems.report(`exit-no-sync-collect:${c.name}`, `collector ${c.name} cannot collect synchronously; its last partial period is lost on process.exit()`);
          return { profiles: [], errors: [] };
        });
        this.dispatchSyncOnly(this.makeBatch(period, results));
      }
      for (const lane of this.lanes) {
        for (const batch of lane.takeUndelivered()) this.exportSync(lane.exporter, batch);
      }
    } catch (error) {
      this.problems.report('exit-flush-failed', `flush at exit failed: ${toError(error).message}`);
    } finally {
      this.currentState = 'stopped';
    }
  }

  private urgentExportSync(profiles: NamedProfile[], reason: string): void {
    try {
      safeLog(() => this.logger.warn(`exporting ${profiles.length} profile(s) now: ${reason}`));
      const period: Period = { seq: this.seq + 1, startMs: this.periodStartMs, endMs: Date.now(), final: true };
      this.dispatchSyncOnly(this.makeBatch(period, [this.checked({ name: 'urgent' } as Collector, { profiles, errors: [] }, period)]));
    } catch (error) {
      this.problems.report('urgent-export-failed', `urgent export failed: ${toError(error).message}`);
    }
  }

  private dispatchSyncOnly(batch: ProfileBatch): void {
    if (isEmpty(batch)) return;
    for (const lane of this.lanes) this.exportSync(lane.exporter, batch);
  }

  private exportSync(exporter: Exporter, batch: ProfileBatch): void {
    if (!exporter.exportSync) {
      this.problems.report(`exit-no-sync-export:${exporter.name}`, `exporter ${exporter.name} cannot export synchronously; profiles pending at process.exit() are lost for it`);
      return;
    }
    try {
      const result = exporter.exportSync(batch);
      if (result && !result.ok) this.problems.report(`export-failed:${exporter.name}`, `exporter ${exporter.name} failed at exit: ${result.error.message}`);
    } catch (error) {
      this.problems.report(`export-failed:${exporter.name}`, `exporter ${exporter.name} failed at exit: ${toError(error).message}`);
    }
  }

  private startChildPropagation(): void {
    const preloadPath = this.childPreload ?? findDefaultPreload();
    if (!preloadPath) {
      safeLog(() => this.logger.debug('profileChildren: no preload module (install `@vigil/profiler` or pass childPreload); children are not profiled'));
      return;
    }
    // A --require of a missing file would stop every Node child from starting at all.
    if (!existsSync(preloadPath)) {
      this.problems.report('child-preload-missing', `profileChildren: the preload module ${preloadPath} does not exist; child processes are not profiled`);
      return;
    }
    const variables: Record<string, string> = {
      DD_PROFILING_ENABLED: 'true',
      DD_SERVICE: this.tags.service!,
      DD_PROFILING_UPLOAD_PERIOD: String(this.periodMs / 1000),
      VIGIL_PARENT_PROCESS_ID: String(this.runtime.pid),
    };
    if (this.tags.env) variables.DD_ENV = this.tags.env;
    if (this.tags.version) variables.DD_VERSION = this.tags.version;
    const tags = serializeTags(this.userTags);
    if (tags) variables.DD_TAGS = tags;
    this.restoreChildEnv = propagateToChildren({ preloadPath, variables });
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

/** Nothing to ship: no profiles and no endpoint counts (a period with only counts still matters). */
function isEmpty(batch: ProfileBatch): boolean {
  return batch.profiles.length === 0 && Object.keys(batch.endpointCounts).length === 0;
}

function defaultServiceName(): string {
  const main = process.argv[1];
  return main ? basename(main, extname(main)) || 'node' : 'node';
}

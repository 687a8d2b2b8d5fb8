import { setSpanLabelsProvider, withUserLabels, type CollectResult, type Collector, type CollectorContext, type Logger, type Period, type SpanLabelsProvider } from '@vigil/core';
import { AsyncCallbackHook } from './async-callback-hook';
import { DdTraceSource, ddTraceLoaded } from './dd-trace-source';
import { EndpointCounter } from './endpoint-counts';
import { OpenTelemetrySource, openTelemetryRegistered, type SourceSettings } from './opentelemetry-source';
import { resolveOptions, type TracingCorrelationOptions } from './options';
import { enterSamplerContext, runningSampler, type CorrelatableSampler } from './sampler-link';
import { NO_SPAN_LABELS, type SpanLabels } from './span-labels';
import { TracerRegistrationWatch } from './tracer-registration-watch';

/** The collector's name in core (one per profiler). */
export const TRACING_CORRELATION_COLLECTOR_NAME = 'tracing-correlation';

/**
 * Ties CPU and wall samples, lock and GC events to the active span (`span id`,
 * `local root span id`, `trace endpoint`) of OpenTelemetry or dd-trace, and counts root spans per
 * endpoint for each period (`endpoint_counts`). Produces no profile of its own; install it next to
 * `cpu()` / `wall()`. With no tracer loaded it stays idle (one info line) and attaches to one that
 * registers later.
 */
export function tracingCorrelation(options: TracingCorrelationOptions = {}): Collector {
  return new TracingCorrelationCollector(options);
}

class TracingCorrelationCollector implements Collector {
  readonly name = TRACING_CORRELATION_COLLECTOR_NAME;
  private logger: Logger | undefined;
  private counter: EndpointCounter | undefined;
  private openTelemetry: OpenTelemetrySource | undefined;
  private ddTrace: DdTraceSource | undefined;
  private readonly asyncHook = new AsyncCallbackHook(() => this.refreshThreadContext());
  private pollTimer: NodeJS.Timeout | undefined;
  private registrationWatch: TracerRegistrationWatch | undefined;
  private running = false;
  private readonly reported = new Set<string>();
  private readonly provider: SpanLabelsProvider = () => this.activeLabels();
  private lastThreadSampler: CorrelatableSampler | undefined;
  private lastThreadLabels: SpanLabels = NO_SPAN_LABELS;

  constructor(private readonly options: TracingCorrelationOptions) {}

  start(ctx: CollectorContext): void {
    if (this.running) return;
    const settings = resolveOptions(this.options, ctx.env, ctx.logger);
    this.logger = ctx.logger;
    this.running = true;
    if (!settings.codeHotspots && !settings.endpointCollection) {
      ctx.logger.info('tracing correlation: code hotspots and endpoint collection are both off; nothing to do');
      return;
    }
    const counter = new EndpointCounter(settings.maxEndpointsPerPeriod);
    this.counter = counter;
    const sourceSettings: SourceSettings = {
      spanIdFormat: settings.spanIdFormat,
      withSpanIds: settings.codeHotspots,
      withEndpoint: settings.endpointCollection,
      labelsPerLocalRoot: settings.labelGranularity === 'localRoot',
      onRootEnd: settings.endpointCollection ? (endpoint) => counter.add(endpoint) : () => undefined,
      runUnder: (labels, fn) => this.runUnder(labels, fn),
    };
    if (settings.openTelemetry) this.openTelemetry = new OpenTelemetrySource(sourceSettings);
    if (settings.ddTrace) {
      this.ddTrace = new DdTraceSource(sourceSettings, {
        onEnter: (labels) => this.enterLabels(labels),
        onRunReturn: () => this.refreshThreadContext(),
      });
    }
    const loaded = (settings.openTelemetry && openTelemetryRegistered()) || (settings.ddTrace && ddTraceLoaded());
    if (!loaded) {
      ctx.logger.info('tracing correlation: no tracer loaded (neither an OpenTelemetry context manager nor dd-trace); samples carry no span labels until one registers');
    }
    // A tracer registered later (the usual `--require ./tracing.js` after the preload, or an SDK
    // started by the app) is attached when it registers, or at the first request or span at the
    // latest; the poll below is only the fallback for anything else.
    this.registrationWatch = new TracerRegistrationWatch(() => this.sync());
    this.sync();
    // Collectors start one after another: look again once the CPU/wall sampler is surely up.
    setImmediate(() => this.sync());
    this.pollTimer = setInterval(() => {
      this.sync();
      this.openTelemetry?.sweepEndedRoots();
    }, settings.tracerPollIntervalMs);
    this.pollTimer.unref();
    setSpanLabelsProvider(this.provider);
  }

  async collect(period: Period): Promise<CollectResult> {
    return this.collectSync(period);
  }

  collectSync(_period: Period): CollectResult {
    this.sync();
    this.openTelemetry?.sweepEndedRoots();
    return { profiles: [], errors: [], endpointCounts: this.counter?.take() ?? {} };
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.registrationWatch?.dispose();
    this.registrationWatch = undefined;
    this.asyncHook.disable();
    this.openTelemetry?.detach();
    this.ddTrace?.detach();
    // Only remove the provider if it is still ours (another profiler may have installed its own).
    if (isOurProvider(this.provider)) setSpanLabelsProvider(undefined);
    const sampler = runningSampler();
    if (sampler && !sampler.usesAsyncContextFrame) sampler.setContext(undefined);
    this.lastThreadSampler = undefined;
    this.lastThreadLabels = NO_SPAN_LABELS;
  }

  /** Attaches to tracers that appeared, and turns the async-hooks path on or off to match the sampler. */
  private sync(): void {
    if (!this.running) return;
    try {
      const ddTraceAttached = this.ddTrace?.attach() ?? false;
      const attached = (this.openTelemetry?.attach() ?? false) || ddTraceAttached;
      this.registrationWatch?.stopFollowing(attached, ddTraceAttached || !this.ddTrace);
      const sampler = runningSampler();
      if (attached && sampler && !sampler.usesAsyncContextFrame) this.asyncHook.enable();
      else this.asyncHook.disable();
    } catch (error) {
      this.reportOnce('sync', `tracing correlation could not attach to the tracer: ${(error as Error).message}`);
    }
  }

  /** The active span's labels: dd-trace's first (its OpenTelemetry bridge keeps the real span there), then OpenTelemetry's. */
  private activeLabels(): SpanLabels | undefined {
    return this.ddTrace?.activeLabels() ?? this.openTelemetry?.activeLabels();
  }

  private runUnder<R>(spanLabels: SpanLabels, fn: () => R): R {
    const sampler = runningSampler();
    if (!sampler) return fn();
    // The app's own labels (withLabels) ride along: the same object when there are none.
    const labels = withUserLabels(spanLabels) as SpanLabels;
    if (sampler.usesAsyncContextFrame) {
      // Re-activating the span that is already the context (nested `with`, `bind`) needs no new frame.
      return sampler.getContext() === labels ? fn() : sampler.runWithContext(labels, fn);
    }
    const previous = this.threadLabels(sampler);
    this.setThreadLabels(sampler, labels);
    try {
      return fn();
    } finally {
      this.setThreadLabels(sampler, previous);
    }
  }

  /** dd-trace entered a span for the rest of the current async context. */
  private enterLabels(spanLabels: SpanLabels): void {
    const sampler = runningSampler();
    if (!sampler) return;
    const labels = withUserLabels(spanLabels) as SpanLabels;
    if (!sampler.usesAsyncContextFrame) this.setThreadLabels(sampler, labels);
    else if (sampler.getContext() !== labels && !enterSamplerContext(sampler, labels)) {
      this.reportOnce('enter', 'tracing correlation: the running sampler cannot set a context for dd-trace spans (no enterContext); dd-trace samples stay unlabelled');
    }
  }

  /** Sets the thread-wide sampler context from the span active now (only without AsyncContextFrame). */
  private refreshThreadContext(): void {
    const sampler = runningSampler();
    if (!sampler || sampler.usesAsyncContextFrame) return;
    this.setThreadLabels(sampler, withUserLabels(this.activeLabels() ?? NO_SPAN_LABELS) as SpanLabels);
  }

  /**
   * The thread-wide labels last given to `sampler`. Setting them is a native call, and most async
   * callbacks continue the request that ran just before, so it is made only on a change; every
   * thread-wide change goes through here so that this stays true.
   */
  private threadLabels(sampler: CorrelatableSampler): SpanLabels {
    return this.lastThreadSampler === sampler ? this.lastThreadLabels : NO_SPAN_LABELS;
  }

  private setThreadLabels(sampler: CorrelatableSampler, labels: SpanLabels): void {
    if (this.lastThreadSampler === sampler && this.lastThreadLabels === labels) return;
    sampler.setContext(labels);
    this.lastThreadSampler = sampler;
    this.lastThreadLabels = labels;
  }

  private reportOnce(kind: string, message: string): void {
    if (this.reported.has(kind)) return;
    this.reported.add(kind);
    try {
      this.logger?.warn(message);
    } catch {
      // a broken logger must not break the app
    }
  }
}

const PROVIDER_KEY = Symbol.for('vigil.span-labels-provider.v1');
function isOurProvider(provider: SpanLabelsProvider): boolean {
  return (globalThis as unknown as Record<symbol, unknown>)[PROVIDER_KEY] === provider;
}

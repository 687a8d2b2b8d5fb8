import diagnosticsChannel from 'node:diagnostics_channel';

/** Where @opentelemetry/api 1.x keeps its registered globals (context manager, tracer provider...). */
const OTEL_API_GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');
/** Published by node:http before a server emits 'request', so before any tracer's span for it. */
const HTTP_REQUEST_START_CHANNEL = 'http.server.request.start';
/** Published by dd-trace (5 and 6) when a span starts, before it is activated. */
const DD_TRACE_SPAN_START_CHANNEL = 'dd-trace:span:start';

type Registry = Record<string, unknown>;

/**
 * Tells the collector the moment a tracer may have appeared, so span labels start with the first
 * span instead of after a poll:
 * - an OpenTelemetry context manager being registered: a setter is put where the API stores it
 *   (on `globalThis` under its versioned symbol, then on that registry's `context`), which turns
 *   back into a plain property as soon as it fires, so the API's hot path never pays for it;
 * - the first incoming HTTP request and dd-trace's first span, each followed only until
 *   `stopFollowing` says the corresponding tracer is attached.
 * Everything is undone by `dispose` where it is still ours.
 */
export class TracerRegistrationWatch {
  private readonly undo: Array<() => void> = [];
  private readonly channels = new Map<string, (message: unknown) => void>();

  constructor(private readonly onMaybeRegistered: () => void) {
    this.watchOpenTelemetry();
    this.follow(HTTP_REQUEST_START_CHANNEL);
    this.follow(DD_TRACE_SPAN_START_CHANNEL);
  }

  /** Stops following the first request (any tracer attached) and dd-trace's spans (dd-trace attached). */
  stopFollowing(anyAttached: boolean, ddTraceAttached: boolean): void {
    if (anyAttached) this.unfollow(HTTP_REQUEST_START_CHANNEL);
    if (ddTraceAttached) this.unfollow(DD_TRACE_SPAN_START_CHANNEL);
  }

  dispose(): void {
    for (const name of [...this.channels.keys()]) this.unfollow(name);
    for (const undo of this.undo.splice(0).reverse()) {
      try {
        undo();
      } catch {
        // leave it: a fired or replaced watch is a plain property already
      }
    }
  }

  private notify(): void {
    try {
      this.onMaybeRegistered();
    } catch {
      // never throw into the tracer's registration or the request
    }
  }

  private follow(name: string): void {
    const listener = () => this.notify();
    try {
      diagnosticsChannel.subscribe(name, listener);
      this.channels.set(name, listener);
    } catch {
      // channel unknown to this runtime
    }
  }

  private unfollow(name: string): void {
    const listener = this.channels.get(name);
    if (!listener) return;
    this.channels.delete(name);
    diagnosticsChannel.unsubscribe(name, listener);
  }

  private watchOpenTelemetry(): void {
    const holder = globalThis as unknown as Record<symbol, unknown>;
    const descriptor = Object.getOwnPropertyDescriptor(holder, OTEL_API_GLOBAL_KEY);
    if (descriptor) {
      const registry = descriptor.value as Registry | undefined;
      if (registry && typeof registry === 'object') this.watchProperty(registry, 'context');
      return;
    }
    this.watchProperty(holder as unknown as Registry, OTEL_API_GLOBAL_KEY, (registry) => {
      if (registry && typeof registry === 'object') {
        // The API assigns its registry first, then the entry: follow `context` on it.
        if ((registry as Registry).context === undefined) this.watchProperty(registry as Registry, 'context');
        else this.notify();
      }
    });
  }

  /**
   * Replaces `target[key]` (absent or undefined) with a setter that, on the first assignment,
   * becomes a plain data property holding the value and then calls `then` (default: notify).
   */
  private watchProperty(target: Registry, key: string | symbol, then: (value: unknown) => void = () => this.notify()): void {
    const own = Object.getOwnPropertyDescriptor(target, key);
    if (own && (own.value !== undefined || !own.configurable || own.get || own.set)) return;
    const settle = (value: unknown) => {
      Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
    };
    const accessor: PropertyDescriptor = {
      configurable: true,
      enumerable: false,
      get: () => undefined,
      set: (value: unknown) => {
        settle(value);
        then(value);
      },
    };
    Object.defineProperty(target, key, accessor);
    this.undo.push(() => {
      const now = Object.getOwnPropertyDescriptor(target, key);
      if (now?.set === accessor.set) delete (target as Record<string | symbol, unknown>)[key as string];
    });
  }
}

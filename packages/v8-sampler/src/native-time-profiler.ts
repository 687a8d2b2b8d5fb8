import { createRequire } from 'node:module';

/**
 * The parts of @datadog/pprof's native `TimeProfiler` binding we use. We drive the binding
 * directly instead of `pprof.time.stop()` because that serializer drops `(program)` and `(idle)`
 * samples and zeroes idle wall time, and Vigil's wall profile must add up to elapsed time.
 */
export interface NativeTimeProfiler {
  start(): void;
  stop(restart: boolean): RawTimeProfile;
  stopAndCollect<T>(restart: boolean, collect: (profile: RawTimeProfile) => T): T;
  dispose(): void;
  v8ProfilerStuckEventLoopDetected(): number;
  createContextHolder(context: object): object;
  context: object | undefined;
}

export interface NativeTimeProfilerOptions {
  intervalMicros: number;
  durationMillis: number;
  lineNumbers: boolean;
  withContexts: boolean;
  workaroundV8Bug: boolean;
  collectCpuTime: boolean;
  collectAsyncId: boolean;
  useCPED: boolean;
  isMainThread: boolean;
  CPEDKey?: object;
}

export interface RawTimeProfileNode {
  name?: string;
  scriptName: string;
  scriptId?: number;
  lineNumber?: number;
  columnNumber?: number;
  hitCount: number;
  children: RawTimeProfileNode[];
  contexts?: Array<{ context?: object; timestamp: bigint; cpuTime?: number; asyncId?: number }>;
}

export interface RawTimeProfile {
  topDownRoot: RawTimeProfileNode;
  /** Microseconds on a monotonic clock. */
  startTime: number;
  /** Microseconds on a monotonic clock. */
  endTime: number;
  hasCpuTime?: boolean;
  /** CPU nanoseconds of the process's other threads (libuv pool, GC helpers), main thread only. */
  nonJSThreadsCpuTime?: number;
  totalHitCount?: number;
}

type NativeTimeProfilerCtor = new (options: NativeTimeProfilerOptions) => NativeTimeProfiler;

let cachedCtor: NativeTimeProfilerCtor | undefined;

/**
 * Loads the native binding lazily, so that importing this package costs nothing until a
 * collector actually starts (and a missing prebuilt binary becomes a reported error, not a crash).
 */
export function loadNativeTimeProfiler(): NativeTimeProfilerCtor {
  if (!cachedCtor) {
    // __filename is undefined when an app re-bundled our ESM build; then resolve as its main script would.
    const requireHere = createRequire(__filename ?? process.argv[1] ?? `${process.cwd()}/noop.js`);
    const bindings = requireHere('@datadog/pprof/out/src/time-profiler-bindings') as { TimeProfiler: NativeTimeProfilerCtor };
    if (typeof bindings.TimeProfiler !== 'function') throw new Error('@datadog/pprof has no native TimeProfiler binding');
    cachedCtor = bindings.TimeProfiler;
  }
  return cachedCtor;
}

/**
 * The OS id of the calling thread (Linux tid), as the native binding reports it, or undefined when
 * the binding cannot be loaded or lacks the call. Datadog labels samples with it (`os thread id`).
 */
export function nativeThreadId(): number | undefined {
  try {
    const requireHere = createRequire(__filename ?? process.argv[1] ?? `${process.cwd()}/noop.js`);
    const bindings = requireHere('@datadog/pprof/out/src/time-profiler-bindings') as { getNativeThreadId?: () => number };
    const id = bindings.getNativeThreadId?.();
    return typeof id === 'number' && Number.isFinite(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import * as workerThreads from 'node:worker_threads';
import { isMainThread, threadId } from 'node:worker_threads';

/** Facts about this process that every batch carries. */
export interface RuntimeInfo {
  /** A fresh id per process (and per worker thread), as Datadog's `runtime-id`. */
  readonly runtimeId: string;
  readonly pid: number;
  readonly threadId: number;
  readonly threadName: string;
  readonly hostname: string;
  readonly nodeVersion: string;
  readonly platform: string;
  readonly arch: string;
  /** Version of @vigil/core, reported as the profiler version. */
  readonly profilerVersion: string;
}

let cached: RuntimeInfo | undefined;

/** `Main`, the Worker's `name` option where Node exposes it (22+), else `Worker <id>`. */
function currentThreadName(): string {
  if (isMainThread) return 'Main';
  const named = (workerThreads as { threadName?: string }).threadName;
  return named && named !== 'WorkerThread' ? named : `Worker ${threadId}`;
}

/**
 * The `thread id` / `thread name` labels every sample of a thread carries, named as dd-trace-js
 * names the JavaScript thread so Datadog's thread filters match: `0` / `Main Event Loop`,
 * `3` / `Worker #3 Event Loop`, or a named worker's name + ` Event Loop`.
 */
export function threadLabels(runtime: Pick<RuntimeInfo, 'threadId' | 'threadName'> = runtimeInfo()): Record<string, string> {
  const base = runtime.threadName === `Worker ${runtime.threadId}` ? `Worker #${runtime.threadId}` : runtime.threadName;
  return { 'thread id': String(runtime.threadId), 'thread name': `${base} Event Loop` };
}

/** The runtime facts of the current thread, computed once. */
export function runtimeInfo(): RuntimeInfo {
  cached ??= {
    runtimeId: randomUUID(),
    pid: process.pid,
    threadId,
    threadName: currentThreadName(),
    hostname: safeHostname(),
    nodeVersion: process.versions.node,
    platform: process.platform,
    arch: process.arch,
    profilerVersion: PROFILER_VERSION,
  };
  return cached;
}

// Replaced at build time would be nicer, but reading package.json at runtime breaks in bundles;
// the test `runtime-info.test.ts` keeps this in step with package.json.
export const PROFILER_VERSION = '0.1.0';

function safeHostname(): string {
  try {
    return hostname();
  } catch {
    return 'unknown';
  }
}

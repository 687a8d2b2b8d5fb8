import type { RuntimeInfo } from '@vigil/core';

/** The `thread id` / `thread name` labels every sample of this thread carries (main thread: 0 / Main). */
export function threadLabels(runtime: Pick<RuntimeInfo, 'threadId' | 'threadName'>): Record<string, string> {
  return { 'thread id': String(runtime.threadId), 'thread name': runtime.threadName };
}

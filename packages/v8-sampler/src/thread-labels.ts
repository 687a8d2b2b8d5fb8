import { threadLabels as coreThreadLabels, type RuntimeInfo } from '@vigil/core';
import { nativeThreadId } from './native-time-profiler';

/**
 * The labels every sample of this thread carries: core's `thread id` / `thread name`, plus
 * `os thread id` (the Linux tid) as dd-trace-js adds it, since this package loads the native
 * binding anyway. Call it on the thread the labels are for.
 */
export function threadLabels(runtime?: Pick<RuntimeInfo, 'threadId' | 'threadName'>): Record<string, string> {
  const labels = coreThreadLabels(runtime);
  const osThreadId = nativeThreadId();
  if (osThreadId !== undefined) labels['os thread id'] = String(osThreadId);
  return labels;
}

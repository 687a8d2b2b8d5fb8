import type { Profile } from '@vigil/core';
import type { OutOfMemoryOptions } from './options';
import { pprofHeap } from './pprof-heap';

/**
 * Asks V8 to call `onNearHeapLimit` with a final heap profile when the heap nears its limit. V8
 * raises the limit once by `heapLimitExtensionBytes` so the profile can be taken and written; the
 * process still dies afterwards (we do not hide an out-of-memory). The heap sampler must be running.
 */
export function monitorOutOfMemory(options: Required<OutOfMemoryOptions>, onNearHeapLimit: (profile: Profile) => void): void {
  const mode = options.callbackMode === 'async' ? pprofHeap().CallbackMode.Async : pprofHeap().CallbackMode.Interrupt;
  pprofHeap().monitorOutOfMemory(options.heapLimitExtensionBytes, 1, false, undefined, onNearHeapLimit as never, mode);
}

import * as workerThreads from 'node:worker_threads';

/** How a thread is named in labels: the main thread is `0` / `Main`, like the time profiles. */
export interface ThreadIdentity {
  threadId: string;
  threadName: string;
}

/** The identity of the thread this code runs on. */
export function currentThreadIdentity(): ThreadIdentity {
  if (workerThreads.isMainThread) return { threadId: '0', threadName: 'Main' };
  // `threadName` (the Worker's `name` option) exists from Node 22; older workers get a numbered name.
  const named = (workerThreads as { threadName?: string }).threadName;
  const threadId = String(workerThreads.threadId);
  return { threadId, threadName: named ? named : `Worker ${threadId}` };
}

/** The identity as label/tag pairs. */
export function threadLabels(identity: ThreadIdentity): Record<string, string> {
  return { 'thread id': identity.threadId, 'thread name': identity.threadName };
}

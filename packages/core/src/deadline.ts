/** Sentinel result of `withDeadline` when the deadline passed first. */
export const TIMED_OUT = Symbol('vigil.timed-out');

/**
 * Resolves with the promise's value, or with TIMED_OUT after `ms`. The timer is unref'ed so a
 * pending deadline never keeps the process alive, and cleared as soon as the promise settles.
 * Rejections pass through.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  if (!Number.isFinite(ms)) return promise;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms));
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** An unref'ed sleep, for waits that must not keep the process alive. */
export function sleepUnref(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

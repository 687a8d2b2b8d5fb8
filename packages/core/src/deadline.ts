import { performance } from 'node:perf_hooks';

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

/** However busy the app keeps the event loop, a responsive deadline fires after this many times its length. */
const RESPONSIVE_DEADLINE_MAX_STRETCH = 5;

/**
 * Like `withDeadline`, but only time the event loop spent waiting (idle, so free to run our
 * callbacks) is counted, up to `RESPONSIVE_DEADLINE_MAX_STRETCH` times `ms` of wall time. A busy
 * app (synchronous chunks, or a machine short of CPU) delays every callback an export or a
 * collection needs; with a wall-clock deadline those were cut off period after period (3 of 20
 * periods delivered by a CPU-bound app at a 1 s period): the time the app held the loop is the
 * app's, not the backend's. An idle app waiting on a silent backend still gives up after `ms`.
 */
export function withResponsiveDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  if (!Number.isFinite(ms)) return promise;
  const stepMs = Math.min(Math.max(ms / 10, 10), 1_000);
  const startMs = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    let idleMs = 0;
    let last = performance.eventLoopUtilization();
    const arm = () => {
      timer = setTimeout(tick, Math.max(1, Math.min(stepMs, ms - idleMs)));
      timer.unref();
    };
    const tick = () => {
      const now = performance.eventLoopUtilization();
      idleMs += now.idle - last.idle;
      last = now;
      if (idleMs >= ms || performance.now() - startMs >= ms * RESPONSIVE_DEADLINE_MAX_STRETCH) resolve(TIMED_OUT);
      else arm();
    };
    arm();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

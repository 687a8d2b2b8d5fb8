import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import type { IoWaitTracker } from './io-wait-tracker';
import { replaceFunction, type Restore } from './patch';

type Refable = { hasRef?: () => boolean };

/**
 * setTimeout (global and `timers`) and `timers/promises` setTimeout: a sampled timer records the
 * time from its creation to its callback, when it is still ref'ed then (an unref'ed timer is
 * background work nobody waits on, such as the profiler's own period timer).
 */
export function instrumentTimers(tracker: IoWaitTracker): Restore[] {
  const restores: Restore[] = [];
  const wrapSetTimeout = (original: (...args: unknown[]) => unknown) => function setTimeout(this: unknown, ...args: unknown[]) {
    const callback = args[0];
    if (typeof callback !== 'function') return original.apply(this, args);
    const wait = tracker.begin('timer', 'setTimeout', setTimeout);
    if (wait) {
      args[0] = function fired(this: Refable, ...callbackArgs: unknown[]) {
        if (typeof this?.hasRef !== 'function' || this.hasRef()) tracker.end(wait);
        else wait.done = true;
        return (callback as (...a: unknown[]) => unknown).apply(this, callbackArgs);
      };
    }
    return original.apply(this, args);
  };
  const globalRestore = replaceFunction(globalThis, 'setTimeout', wrapSetTimeout);
  if (globalRestore) restores.push(globalRestore);
  // `require('timers').setTimeout` is a separate property holding the same original: wrap it too.
  const timersRestore = replaceFunction(timers, 'setTimeout', wrapSetTimeout);
  if (timersRestore) restores.push(timersRestore);
  const promisesRestore = replaceFunction(timersPromises, 'setTimeout', (original) => function setTimeout(this: unknown, ...args: unknown[]) {
    const options = args[2] as { ref?: boolean } | undefined;
    const wait = options?.ref === false ? undefined : tracker.begin('timer', 'timers/promises.setTimeout', setTimeout);
    const result = original.apply(this, args);
    if (wait && result && typeof (result as Promise<unknown>).then === 'function') {
      const finish = () => tracker.end(wait);
      (result as Promise<unknown>).then(finish, finish);
    }
    return result;
  });
  if (promisesRestore) restores.push(promisesRestore);
  return restores;
}

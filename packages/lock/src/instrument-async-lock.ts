import { beginAcquire, type AcquireFailure, type SampledAcquire } from './recorder';
import { identityOf, PATCHED, tagNew, watchConstruction } from './patch-helpers';

/**
 * Instruments async-lock (1.x) in place: `AsyncLock.prototype.acquire` for single keys (batches
 * go through it key by key). A sampled call hands the library a wrapped `fn` (same arity, since
 * async-lock picks callback or promise mode from `fn.length`) and its own completion callback,
 * so the grant, the release and a failed wait (timeout, queue full) are seen without changing
 * what the caller gets back. Samples carry the key as a `lock key` label.
 */

type Callback = (err?: unknown, ret?: unknown) => void;

interface AsyncLockProto {
  acquire(this: AsyncLockInstance, key: unknown, fn: unknown, cb?: unknown, opts?: unknown): unknown;
  [PATCHED]?: boolean;
}

interface AsyncLockInstance {
  Promise?: PromiseConstructor;
}

const MAX_KEY_CHARS = 64;

/** Patches the AsyncLock constructor's prototype. Returns false when `AsyncLock` does not look like async-lock. */
export function instrumentAsyncLock(AsyncLock: unknown): boolean {
  const proto = (AsyncLock as { prototype?: AsyncLockProto } | undefined)?.prototype;
  if (typeof AsyncLock !== 'function' || !proto || typeof proto.acquire !== 'function') return false;
  if (proto[PATCHED]) return true;
  Object.defineProperty(proto, PATCHED, { value: true });

  // The constructor's first assignment is `this.Promise = ...`.
  watchConstruction(proto, 'Promise', (instance) => tagNew(instance, 'async-lock'));

  const originalAcquire = proto.acquire;
  const acquire = function acquire(this: AsyncLockInstance, key: unknown, fn: unknown, cb?: unknown, opts?: unknown): unknown {
    if (Array.isArray(key) || typeof fn !== 'function') return originalAcquire.apply(this, arguments as unknown as [unknown, unknown]);
    const event = beginAcquire(identityOf(this, 'async-lock'), { 'lock key': String(key).slice(0, MAX_KEY_CHARS) });
    if (!event) return originalAcquire.apply(this, arguments as unknown as [unknown, unknown]);

    const state = { granted: false };
    const wrappedFn = wrapCriticalSection(fn as (...args: unknown[]) => unknown, event, state);
    const observe = (err: unknown): void => {
      if (!state.granted && err) event.failed(failureOf(err));
    };
    if (typeof cb === 'function') {
      return originalAcquire.call(this, key, wrappedFn, function (this: unknown, err?: unknown, ret?: unknown) {
        observe(err);
        return (cb as Callback).call(this, err, ret);
      }, opts);
    }
    // Promise mode: the library would build `new this.Promise`; we build the same one around its callback mode.
    const PromiseImpl = this.Promise ?? Promise;
    return new PromiseImpl((resolve, reject) => {
      originalAcquire.call(this, key, wrappedFn, (err?: unknown, ret?: unknown) => {
        observe(err);
        if (err) reject(err);
        else resolve(ret);
      }, cb);
    });
  };
  Object.defineProperty(acquire, 'length', { value: originalAcquire.length });
  proto.acquire = acquire;
  return true;
}

function wrapCriticalSection(fn: (...args: unknown[]) => unknown, event: SampledAcquire, state: { granted: boolean }): (...args: unknown[]) => unknown {
  const grant = (): void => {
    state.granted = true;
    event.granted();
  };
  if (fn.length === 1) {
    return function (this: unknown, done: unknown) {
      grant();
      let finished = false;
      return fn.call(this, function (this: unknown, ...args: unknown[]) {
        if (!finished) {
          finished = true;
          event.released();
        }
        return (done as Callback).apply(this, args as Parameters<Callback>);
      });
    };
  }
  return function (this: unknown) {
    grant();
    let result: unknown;
    try {
      result = fn.call(this);
    } catch (error) {
      event.released();
      throw error;
    }
    if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
      const settle = (): void => event.released();
      // Observing the user's promise does not change its outcome: the library consumes it too.
      Promise.resolve(result).then(settle, settle);
    } else {
      event.released();
    }
    return result;
  };
}

function failureOf(error: unknown): AcquireFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('timed out')) return 'timeout';
  return 'rejected';
}

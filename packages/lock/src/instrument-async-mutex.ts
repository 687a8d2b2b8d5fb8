import { beginAcquire, type SampledAcquire } from './recorder';
import { identityOf, LOCK_IDENTITY, PATCHED, tag, tagNew, watchConstruction } from './patch-helpers';

/**
 * Instruments async-mutex (0.3 to 0.5) in place: `Semaphore.prototype.acquire` and `release`,
 * which `Mutex`, `withTimeout`, `tryAcquire` and both `runExclusive`s go through. Nothing is
 * replaced at the module level, so classes, `instanceof`, errors and return values stay the
 * library's own; a sampled acquire differs only in resolving one microtask later.
 */

interface AsyncMutexSemaphoreProto {
  acquire(this: object, ...args: unknown[]): Promise<[number, () => void]>;
  release(this: object, ...args: unknown[]): void;
  [PATCHED]?: boolean;
}

interface AsyncMutexExports {
  Mutex?: unknown;
  Semaphore?: unknown;
}

const SAMPLED_HOLDS = Symbol('vigil.lock.sampledHolds');
type WithHolds = { [SAMPLED_HOLDS]?: SampledAcquire[] };

/** True while one of our wrapped releasers runs: its inner `release()` is not a manual release. */
let releasingThroughReleaser = false;

/**
 * A Mutex method already made the sampling decision (and captured the stack, a dozen frames
 * shallower than inside the Semaphore under tslib's generator plumbing, which makes capture
 * cheaper) for the inner Semaphore call it is about to make synchronously.
 */
let decided: { semaphore: unknown; event: SampledAcquire | undefined } | undefined;

/** Patches an async-mutex module namespace or exports object. Returns false when it does not look like one. */
export function instrumentAsyncMutex(exported: AsyncMutexExports): boolean {
  const Semaphore = exported.Semaphore as ({ prototype?: AsyncMutexSemaphoreProto } & Function) | undefined;
  const Mutex = exported.Mutex as ({ prototype?: object } & Function) | undefined;
  if (typeof Semaphore !== 'function' || typeof Semaphore.prototype?.acquire !== 'function' || typeof Semaphore.prototype.release !== 'function') return false;
  const proto = Semaphore.prototype;
  if (proto[PATCHED]) return true;
  Object.defineProperty(proto, PATCHED, { value: true });

  // Semaphore's constructor assigns _value first; Mutex's assigns _semaphore (and re-tags it as a mutex).
  watchConstruction(proto, '_value', (instance) => tagNew(instance, 'async-mutex Semaphore'));
  if (typeof Mutex === 'function' && Mutex.prototype) {
    watchConstruction(Mutex.prototype, '_semaphore', (instance) => {
      const semaphore = (instance as { _semaphore?: { [LOCK_IDENTITY]?: { site?: unknown } } })._semaphore;
      if (semaphore && typeof semaphore === 'object') {
        const inner = identityOf(semaphore, 'async-mutex Mutex');
        tag(semaphore, { ...inner, kind: 'async-mutex Mutex', label: undefined });
      }
    });
  }

  const originalAcquire = proto.acquire;
  const originalRelease = proto.release;

  const acquire = function acquire(this: object, weight?: unknown, priority?: unknown): Promise<[number, () => void]> {
    let event: SampledAcquire | undefined;
    if (decided && decided.semaphore === this) {
      event = decided.event;
      decided = undefined;
    } else {
      event = beginAcquire(identityOf(this, 'async-mutex Semaphore'));
    }
    // eslint-disable-next-line prefer-rest-params
    if (!event) return originalAcquire.apply(this, arguments as unknown as unknown[]);
    // eslint-disable-next-line prefer-rest-params
    const pending = originalAcquire.apply(this, arguments as unknown as unknown[]);
    const holder = this as WithHolds;
    return pending.then(
      (ticket: [number, () => void]) => {
        event.granted();
        if (!Array.isArray(ticket) || typeof ticket[1] !== 'function') return ticket;
        const holds = (holder[SAMPLED_HOLDS] ??= []);
        holds.push(event);
        const releaser = ticket[1];
        const wrapped = (): void => {
          const i = holds.indexOf(event);
          if (i >= 0) holds.splice(i, 1);
          event.released();
          releasingThroughReleaser = true;
          try {
            releaser();
          } finally {
            releasingThroughReleaser = false;
          }
        };
        return [ticket[0], wrapped] as [number, () => void];
      },
      (error: unknown) => {
        event.failed('canceled');
        throw error;
      },
    );
  };

  const release = function release(this: object): void {
    const holds = (this as WithHolds)[SAMPLED_HOLDS];
    // A manual `mutex.release()` / `semaphore.release(n)`: it ends the oldest sampled hold.
    if (!releasingThroughReleaser && holds && holds.length > 0) holds.shift()!.released();
    // eslint-disable-next-line prefer-rest-params
    return originalRelease.apply(this, arguments as unknown as unknown[]);
  };

  Object.defineProperty(acquire, 'length', { value: originalAcquire.length });
  Object.defineProperty(release, 'length', { value: originalRelease.length });
  proto.acquire = acquire;
  proto.release = release;
  if (typeof Mutex === 'function' && Mutex.prototype) {
    decideAtMutexLevel(Mutex.prototype as Record<string, unknown>, 'acquire');
    decideAtMutexLevel(Mutex.prototype as Record<string, unknown>, 'runExclusive');
  }
  return true;
}

/**
 * Wraps a Mutex method so the sampling decision happens there; the inner Semaphore acquire (reached
 * synchronously: `_semaphore.acquire` / `_semaphore.runExclusive` -> `this.acquire`) takes it over.
 */
function decideAtMutexLevel(proto: Record<string, unknown>, method: string): void {
  const original = proto[method];
  if (typeof original !== 'function') return;
  const wrapped = function (this: { _semaphore?: unknown }) {
    const semaphore = this._semaphore;
    if (!semaphore || typeof semaphore !== 'object') return original.apply(this, arguments);
    decided = { semaphore, event: beginAcquire(identityOf(semaphore, 'async-mutex Mutex')) };
    try {
      return original.apply(this, arguments);
    } finally {
      // Never let a decision leak to an unrelated later acquire (e.g. a library version whose
      // Mutex does not reach its Semaphore synchronously).
      decided = undefined;
    }
  };
  Object.defineProperty(wrapped, 'length', { value: original.length });
  Object.defineProperty(wrapped, 'name', { value: method });
  proto[method] = wrapped;
}

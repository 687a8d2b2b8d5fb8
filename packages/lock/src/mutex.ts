import type { AcquireOptions, Releaser } from './errors';
import { PermitPool, runHolding } from './permit-pool';
import { createLockIdentity } from './recorder';

export interface MutexOptions {
  /** A name for the `lock name` label; default the variable the mutex is assigned to. */
  name?: string;
}

/**
 * An async mutex with FIFO fairness, timeouts and AbortSignal cancellation. Its waits and holds
 * appear in the lock profile when a lock collector runs.
 */
export class Mutex {
  private readonly pool: PermitPool;

  constructor(options: MutexOptions = {}) {
    this.pool = new PermitPool(1, createLockIdentity('Mutex', options.name, Mutex));
  }

  /** True while someone holds the mutex. */
  isLocked(): boolean {
    return this.pool.available === 0;
  }

  /** Acquires waiting in line. */
  get waiting(): number {
    return this.pool.waiting;
  }

  /** Waits for the mutex; resolves with the function that releases it. */
  acquire(options?: AcquireOptions): Promise<Releaser> {
    return this.pool.acquire(1, options);
  }

  /** Takes the mutex if it is free and nobody waits, else returns undefined. */
  tryAcquire(): Releaser | undefined {
    return this.pool.tryAcquire(1);
  }

  /** Runs `fn` holding the mutex and releases it however `fn` ends (return, throw, rejection). */
  runExclusive<T>(fn: () => T | PromiseLike<T>, options?: AcquireOptions): Promise<T> {
    return runHolding(this.pool.acquire(1, options), fn);
  }
}

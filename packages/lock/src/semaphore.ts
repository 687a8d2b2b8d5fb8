import type { AcquireOptions, Releaser } from './errors';
import { PermitPool, runHolding } from './permit-pool';
import { createLockIdentity } from './recorder';

export interface SemaphoreOptions {
  /** A name for the `lock name` label; default the variable the semaphore is assigned to. */
  name?: string;
}

export interface SemaphoreAcquireOptions extends AcquireOptions {
  /** Permits to take at once; default 1. */
  weight?: number;
}

/**
 * A counting semaphore with `permits` permits, weighted acquires, FIFO fairness, timeouts and
 * AbortSignal cancellation. Its waits and holds appear in the lock profile when a lock collector runs.
 */
export class Semaphore {
  private readonly pool: PermitPool;

  constructor(readonly permits: number, options: SemaphoreOptions = {}) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError(`permits must be an integer >= 1, got ${String(permits)}`);
    this.pool = new PermitPool(permits, createLockIdentity('Semaphore', options.name, Semaphore));
  }

  /** Permits free right now. */
  get available(): number {
    return this.pool.available;
  }

  /** Acquires waiting in line. */
  get waiting(): number {
    return this.pool.waiting;
  }

  /** Waits for `weight` permits; resolves with the function that gives them back. */
  acquire(options: SemaphoreAcquireOptions = {}): Promise<Releaser> {
    return this.pool.acquire(options.weight ?? 1, options);
  }

  /** Takes `weight` permits if they are free and nobody waits, else returns undefined. */
  tryAcquire(weight = 1): Releaser | undefined {
    return this.pool.tryAcquire(weight);
  }

  /** Runs `fn` holding `weight` permits and gives them back however it ends (return, throw, rejection). */
  runExclusive<T>(fn: () => T | PromiseLike<T>, options: SemaphoreAcquireOptions = {}): Promise<T> {
    return runHolding(this.pool.acquire(options.weight ?? 1, options), fn);
  }
}

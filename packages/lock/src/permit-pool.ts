import type { AcquireOptions, Releaser } from './errors';
import { FairGrantQueue } from './fair-grant-queue';
import type { LockIdentity } from './recorder';

export { runHolding } from './fair-grant-queue';

/**
 * Weighted permits with strict FIFO fairness: a heavy waiter at the head is not starved by a
 * stream of light ones behind it. The engine of Mutex and Semaphore.
 */
export class PermitPool {
  private free: number;
  private readonly queue: FairGrantQueue<number>;

  constructor(readonly capacity: number, readonly identity: LockIdentity) {
    this.free = capacity;
    this.queue = new FairGrantQueue<number>(identity, {
      canGrant: (weight) => this.free >= weight,
      take: (weight) => void (this.free -= weight),
      give: (weight) => void (this.free += weight),
    });
  }

  get available(): number {
    return this.free;
  }

  get waiting(): number {
    return this.queue.waiting;
  }

  acquire(weight: number, options: AcquireOptions | undefined): Promise<Releaser> {
    try {
      this.checkWeight(weight);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.queue.acquire(weight, options);
  }

  /** Takes permits only when free now and nobody is queued; never waits. */
  tryAcquire(weight: number): Releaser | undefined {
    this.checkWeight(weight);
    return this.queue.tryAcquire(weight);
  }

  private checkWeight(weight: number): void {
    if (!Number.isInteger(weight) || weight < 1 || weight > this.capacity) {
      throw new RangeError(`weight must be an integer in [1, ${this.capacity}], got ${String(weight)}`);
    }
  }
}

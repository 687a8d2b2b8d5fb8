import { checkAcquireOptions, LockTimeoutError, type AcquireOptions, type Releaser } from './errors';
import { beginAcquire, lockLabel, type LockIdentity, type SampledAcquire } from './recorder';
import { WaiterQueue, type QueueNode } from './waiter-queue';

interface PermitWaiter extends QueueNode {
  readonly weight: number;
  readonly event: SampledAcquire | undefined;
  resolve(release: Releaser): void;
  reject(error: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * Weighted permits with strict FIFO fairness: a waiter is granted only when it is first in line
 * and enough permits are free, so a heavy waiter is not starved by a stream of light ones, and
 * nobody overtakes a queued waiter (not even `tryAcquire`). The engine of Mutex and Semaphore.
 */
export class PermitPool {
  private free: number;
  private readonly queue = new WaiterQueue<PermitWaiter>();

  constructor(readonly capacity: number, readonly identity: LockIdentity) {
    this.free = capacity;
  }

  get available(): number {
    return this.free;
  }

  get waiting(): number {
    return this.queue.size;
  }

  acquire(weight: number, options: AcquireOptions | undefined): Promise<Releaser> {
    try {
      this.checkWeight(weight);
      checkAcquireOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const event = beginAcquire(this.identity);
    const signal = options?.signal;
    if (signal?.aborted) {
      event?.failed('aborted');
      return Promise.reject(signal.reason);
    }
    if (this.queue.size === 0 && this.free >= weight) {
      this.free -= weight;
      event?.granted();
      return Promise.resolve(this.releaser(weight, event));
    }
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs === 0) {
      event?.failed('timeout');
      return Promise.reject(new LockTimeoutError(lockLabel(this.identity), 0));
    }
    return new Promise<Releaser>((resolve, reject) => {
      const waiter: PermitWaiter = { weight, event, resolve, reject };
      this.queue.push(waiter);
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        waiter.timer = setTimeout(() => this.giveUp(waiter, new LockTimeoutError(lockLabel(this.identity), timeoutMs), 'timeout'), timeoutMs);
      }
      if (signal) {
        waiter.signal = signal;
        waiter.onAbort = () => this.giveUp(waiter, signal.reason, 'aborted');
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
    });
  }

  /** Takes permits only when free now and nobody is queued; never waits. */
  tryAcquire(weight: number): Releaser | undefined {
    this.checkWeight(weight);
    if (this.queue.size !== 0 || this.free < weight) return undefined;
    const event = beginAcquire(this.identity);
    this.free -= weight;
    event?.granted();
    return this.releaser(weight, event);
  }

  private checkWeight(weight: number): void {
    if (!Number.isInteger(weight) || weight < 1 || weight > this.capacity) {
      throw new RangeError(`weight must be an integer in [1, ${this.capacity}], got ${String(weight)}`);
    }
  }

  private releaser(weight: number, event: SampledAcquire | undefined): Releaser {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      event?.released();
      this.free += weight;
      this.dispatch();
    };
  }

  private giveUp(waiter: PermitWaiter, error: unknown, outcome: 'timeout' | 'aborted'): void {
    if (!this.queue.remove(waiter)) return;
    cleanup(waiter);
    waiter.event?.failed(outcome);
    waiter.reject(error);
    // The waiter that left may have been the head that held back smaller waiters behind it.
    this.dispatch();
  }

  private dispatch(): void {
    for (let head = this.queue.peek(); head && head.weight <= this.free; head = this.queue.peek()) {
      this.queue.shift();
      cleanup(head);
      this.free -= head.weight;
      head.event?.granted();
      head.resolve(this.releaser(head.weight, head.event));
    }
  }
}

function cleanup(waiter: PermitWaiter): void {
  if (waiter.timer) clearTimeout(waiter.timer);
  if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
  waiter.timer = undefined;
  waiter.onAbort = undefined;
}

/** Runs `fn` holding `release`, releasing it however `fn` ends. */
export async function runHolding<T>(acquired: Promise<Releaser>, fn: () => T | PromiseLike<T>): Promise<T> {
  const release = await acquired;
  try {
    return await fn();
  } finally {
    release();
  }
}

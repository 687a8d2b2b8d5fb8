import { checkAcquireOptions, LockTimeoutError, type AcquireOptions, type Releaser } from './errors';
import { beginAcquire, lockLabel, type LockIdentity, type SampledAcquire } from './recorder';
import { WaiterQueue, type QueueNode } from './waiter-queue';

/** What a lock hands out and takes back: permits (a weight) or a read/write mode. */
export interface GrantPolicy<Claim> {
  canGrant(claim: Claim): boolean;
  take(claim: Claim): void;
  give(claim: Claim): void;
  /** Extra sample labels for a claim (e.g. `lock mode`). */
  labels?(claim: Claim): Readonly<Record<string, string>> | undefined;
}

interface Waiter<Claim> extends QueueNode {
  readonly claim: Claim;
  readonly event: SampledAcquire | undefined;
  resolve(release: Releaser): void;
  reject(error: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * The acquire protocol every primitive shares: strict FIFO (a claim is granted only at the head
 * of the line, and nobody overtakes a queued waiter, not even `tryAcquire`), timeouts, AbortSignal
 * cancellation that never leaks a grant, idempotent releasers, and lock-profile events. What a
 * claim is and when it fits is the policy's business.
 */
export class FairGrantQueue<Claim> {
  private readonly queue = new WaiterQueue<Waiter<Claim>>();

  constructor(private readonly identity: LockIdentity, private readonly policy: GrantPolicy<Claim>) {}

  get waiting(): number {
    return this.queue.size;
  }

  acquire(claim: Claim, options: AcquireOptions | undefined): Promise<Releaser> {
    try {
      checkAcquireOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const event = beginAcquire(this.identity, this.policy.labels?.(claim));
    const signal = options?.signal;
    if (signal?.aborted) {
      event?.failed('aborted');
      return Promise.reject(signal.reason);
    }
    if (this.queue.size === 0 && this.policy.canGrant(claim)) return Promise.resolve(this.grant(claim, event));
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs === 0) {
      event?.failed('timeout');
      return Promise.reject(new LockTimeoutError(lockLabel(this.identity), 0));
    }
    return new Promise<Releaser>((resolve, reject) => {
      const waiter: Waiter<Claim> = { claim, event, resolve, reject };
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

  /** Grants only when the claim fits now and nobody is queued; never waits. */
  tryAcquire(claim: Claim): Releaser | undefined {
    if (this.queue.size !== 0 || !this.policy.canGrant(claim)) return undefined;
    return this.grant(claim, beginAcquire(this.identity, this.policy.labels?.(claim)));
  }

  private grant(claim: Claim, event: SampledAcquire | undefined): Releaser {
    this.policy.take(claim);
    event?.granted();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      event?.released();
      this.policy.give(claim);
      this.dispatch();
    };
  }

  private giveUp(waiter: Waiter<Claim>, error: unknown, outcome: 'timeout' | 'aborted'): void {
    if (!this.queue.remove(waiter)) return;
    cleanup(waiter);
    waiter.event?.failed(outcome);
    waiter.reject(error);
    // The waiter that left may have been the head that held back the ones behind it.
    this.dispatch();
  }

  private dispatch(): void {
    for (let head = this.queue.peek(); head && this.policy.canGrant(head.claim); head = this.queue.peek()) {
      this.queue.shift();
      cleanup(head);
      head.resolve(this.grant(head.claim, head.event));
    }
  }
}

function cleanup(waiter: Waiter<unknown>): void {
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

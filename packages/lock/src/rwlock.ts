import { checkAcquireOptions, LockTimeoutError, type AcquireOptions, type Releaser } from './errors';
import { runHolding } from './permit-pool';
import { beginAcquire, createLockIdentity, lockLabel, type LockIdentity, type SampledAcquire } from './recorder';
import { WaiterQueue, type QueueNode } from './waiter-queue';

export interface RWLockOptions {
  /** A name for the `lock name` label; default the variable the lock is assigned to. */
  name?: string;
}

type Mode = 'read' | 'write';

interface RWWaiter extends QueueNode {
  readonly mode: Mode;
  readonly event: SampledAcquire | undefined;
  resolve(release: Releaser): void;
  reject(error: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
  signal?: AbortSignal;
  onAbort?: () => void;
}

const READ_LABELS = Object.freeze({ 'lock mode': 'read' });
const WRITE_LABELS = Object.freeze({ 'lock mode': 'write' });

/**
 * A readers/writer lock: any number of readers or one writer. Fair in arrival order: a reader
 * that arrives after a queued writer waits behind it, so a steady stream of readers cannot starve
 * writers, and consecutive queued readers are let in together. Samples carry a `lock mode` label.
 */
export class RWLock {
  private activeReaders = 0;
  private writerActive = false;
  private readonly queue = new WaiterQueue<RWWaiter>();
  private readonly identity: LockIdentity;

  constructor(options: RWLockOptions = {}) {
    this.identity = createLockIdentity('RWLock', options.name, RWLock);
  }

  /** Readers holding the lock now. */
  get readers(): number {
    return this.activeReaders;
  }

  /** True while a writer holds the lock. */
  isWriteLocked(): boolean {
    return this.writerActive;
  }

  /** Acquires waiting in line. */
  get waiting(): number {
    return this.queue.size;
  }

  /** Waits for shared (read) access. */
  acquireRead(options?: AcquireOptions): Promise<Releaser> {
    return this.acquire('read', options);
  }

  /** Waits for exclusive (write) access. */
  acquireWrite(options?: AcquireOptions): Promise<Releaser> {
    return this.acquire('write', options);
  }

  /** Shared access if available now and nobody waits, else undefined. */
  tryAcquireRead(): Releaser | undefined {
    return this.tryAcquire('read');
  }

  /** Exclusive access if available now and nobody waits, else undefined. */
  tryAcquireWrite(): Releaser | undefined {
    return this.tryAcquire('write');
  }

  /** Runs `fn` with shared access, released however `fn` ends. */
  runRead<T>(fn: () => T | PromiseLike<T>, options?: AcquireOptions): Promise<T> {
    return runHolding(this.acquire('read', options), fn);
  }

  /** Runs `fn` with exclusive access, released however `fn` ends. */
  runWrite<T>(fn: () => T | PromiseLike<T>, options?: AcquireOptions): Promise<T> {
    return runHolding(this.acquire('write', options), fn);
  }

  private canGrant(mode: Mode): boolean {
    return mode === 'read' ? !this.writerActive : !this.writerActive && this.activeReaders === 0;
  }

  private take(mode: Mode): void {
    if (mode === 'read') this.activeReaders++;
    else this.writerActive = true;
  }

  private tryAcquire(mode: Mode): Releaser | undefined {
    if (this.queue.size !== 0 || !this.canGrant(mode)) return undefined;
    const event = beginAcquire(this.identity, mode === 'read' ? READ_LABELS : WRITE_LABELS);
    this.take(mode);
    event?.granted();
    return this.releaser(mode, event);
  }

  private acquire(mode: Mode, options: AcquireOptions | undefined): Promise<Releaser> {
    try {
      checkAcquireOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const event = beginAcquire(this.identity, mode === 'read' ? READ_LABELS : WRITE_LABELS);
    const signal = options?.signal;
    if (signal?.aborted) {
      event?.failed('aborted');
      return Promise.reject(signal.reason);
    }
    if (this.queue.size === 0 && this.canGrant(mode)) {
      this.take(mode);
      event?.granted();
      return Promise.resolve(this.releaser(mode, event));
    }
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs === 0) {
      event?.failed('timeout');
      return Promise.reject(new LockTimeoutError(lockLabel(this.identity), 0));
    }
    return new Promise<Releaser>((resolve, reject) => {
      const waiter: RWWaiter = { mode, event, resolve, reject };
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

  private releaser(mode: Mode, event: SampledAcquire | undefined): Releaser {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      event?.released();
      if (mode === 'read') this.activeReaders--;
      else this.writerActive = false;
      this.dispatch();
    };
  }

  private giveUp(waiter: RWWaiter, error: unknown, outcome: 'timeout' | 'aborted'): void {
    if (!this.queue.remove(waiter)) return;
    cleanup(waiter);
    waiter.event?.failed(outcome);
    waiter.reject(error);
    this.dispatch();
  }

  private dispatch(): void {
    for (let head = this.queue.peek(); head && this.canGrant(head.mode); head = this.queue.peek()) {
      this.queue.shift();
      cleanup(head);
      this.take(head.mode);
      head.event?.granted();
      head.resolve(this.releaser(head.mode, head.event));
    }
  }
}

function cleanup(waiter: RWWaiter): void {
  if (waiter.timer) clearTimeout(waiter.timer);
  if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
  waiter.timer = undefined;
  waiter.onAbort = undefined;
}

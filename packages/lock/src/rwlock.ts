import type { AcquireOptions, Releaser } from './errors';
import { FairGrantQueue, runHolding } from './fair-grant-queue';
import { createLockIdentity } from './recorder';

export interface RWLockOptions {
  /** A name for the `lock name` label; default the variable the lock is assigned to. */
  name?: string;
}

type Mode = 'read' | 'write';

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
  private readonly queue: FairGrantQueue<Mode>;

  constructor(options: RWLockOptions = {}) {
    this.queue = new FairGrantQueue<Mode>(createLockIdentity('RWLock', options.name, RWLock), {
      canGrant: (mode) => (mode === 'read' ? !this.writerActive : !this.writerActive && this.activeReaders === 0),
      take: (mode) => {
        if (mode === 'read') this.activeReaders++;
        else this.writerActive = true;
      },
      give: (mode) => {
        if (mode === 'read') this.activeReaders--;
        else this.writerActive = false;
      },
      labels: (mode) => (mode === 'read' ? READ_LABELS : WRITE_LABELS),
    });
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
    return this.queue.waiting;
  }

  /** Waits for shared (read) access. */
  acquireRead(options?: AcquireOptions): Promise<Releaser> {
    return this.queue.acquire('read', options);
  }

  /** Waits for exclusive (write) access. */
  acquireWrite(options?: AcquireOptions): Promise<Releaser> {
    return this.queue.acquire('write', options);
  }

  /** Shared access if available now and nobody waits, else undefined. */
  tryAcquireRead(): Releaser | undefined {
    return this.queue.tryAcquire('read');
  }

  /** Exclusive access if available now and nobody waits, else undefined. */
  tryAcquireWrite(): Releaser | undefined {
    return this.queue.tryAcquire('write');
  }

  /** Runs `fn` with shared access, released however `fn` ends. */
  runRead<T>(fn: () => T | PromiseLike<T>, options?: AcquireOptions): Promise<T> {
    return runHolding(this.queue.acquire('read', options), fn);
  }

  /** Runs `fn` with exclusive access, released however `fn` ends. */
  runWrite<T>(fn: () => T | PromiseLike<T>, options?: AcquireOptions): Promise<T> {
    return runHolding(this.queue.acquire('write', options), fn);
  }
}

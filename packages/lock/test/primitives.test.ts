import { LockTimeoutError, Mutex, RWLock, Semaphore } from '@vigil/lock';
import { sleep } from './helpers';

describe('Mutex', () => {
  test('grants in arrival order (FIFO) and only one holder at a time', async () => {
    const mutex = new Mutex();
    const order: number[] = [];
    let inside = 0;
    let maxInside = 0;
    await Promise.all([0, 1, 2, 3, 4].map((i) => mutex.runExclusive(async () => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      order.push(i);
      await sleep(1 + (4 - i));
      inside--;
    })));
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(maxInside).toBe(1);
    expect(mutex.isLocked()).toBe(false);
  });

  test('runExclusive returns the value, and releases when the critical section throws or rejects', async () => {
    const mutex = new Mutex();
    await expect(mutex.runExclusive(() => 42)).resolves.toBe(42);
    await expect(mutex.runExclusive(() => { throw new Error('sync boom'); })).rejects.toThrow('sync boom');
    expect(mutex.isLocked()).toBe(false);
    await expect(mutex.runExclusive(async () => { await sleep(1); throw new Error('async boom'); })).rejects.toThrow('async boom');
    expect(mutex.isLocked()).toBe(false);
    await expect(mutex.runExclusive(async () => 'still usable')).resolves.toBe('still usable');
  });

  test('a releaser called twice releases once', async () => {
    const mutex = new Mutex();
    const release = await mutex.acquire();
    const second = mutex.acquire();
    release();
    const releaseSecond = await second;
    release(); // must not free the mutex the second holder now has
    expect(mutex.isLocked()).toBe(true);
    expect(mutex.tryAcquire()).toBeUndefined();
    releaseSecond();
    expect(mutex.isLocked()).toBe(false);
  });

  test('timeout rejects with LockTimeoutError and leaves no permit taken', async () => {
    const mutex = new Mutex({ name: 'slow-resource' });
    const release = await mutex.acquire();
    const started = performance.now();
    const error = await mutex.acquire({ timeoutMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).code).toBe('ERR_LOCK_TIMEOUT');
    expect((error as Error).message).toContain('slow-resource');
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(mutex.waiting).toBe(0);
    release();
    expect(mutex.isLocked()).toBe(false);
    const again = mutex.tryAcquire();
    expect(again).toBeDefined();
    again!();
  });

  test('timeoutMs 0 fails at once when held, succeeds when free', async () => {
    const mutex = new Mutex();
    const release = await mutex.acquire({ timeoutMs: 0 });
    await expect(mutex.acquire({ timeoutMs: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    release();
  });

  test('AbortSignal cancels a waiter with the signal reason; the queue behind it moves on', async () => {
    const mutex = new Mutex();
    const release = await mutex.acquire();
    const controller = new AbortController();
    const aborted = mutex.acquire({ signal: controller.signal });
    const behind = mutex.acquire();
    controller.abort(new Error('user went away'));
    await expect(aborted).rejects.toThrow('user went away');
    release();
    const releaseBehind = await behind;
    expect(mutex.isLocked()).toBe(true);
    releaseBehind();
    expect(mutex.isLocked()).toBe(false);
    // An already aborted signal rejects without queueing.
    await expect(mutex.acquire({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(mutex.waiting).toBe(0);
  });

  test('an abort after the grant does not take the lock away or leak it', async () => {
    const mutex = new Mutex();
    const controller = new AbortController();
    const release = await mutex.acquire({ signal: controller.signal });
    controller.abort();
    expect(mutex.isLocked()).toBe(true);
    release();
    expect(mutex.isLocked()).toBe(false);
  });

  test('bad options are rejected with a clear error', async () => {
    const mutex = new Mutex();
    await expect(mutex.acquire({ timeoutMs: -1 })).rejects.toThrow('timeoutMs must be a number >= 0, got -1');
    await expect(mutex.acquire({ signal: {} as AbortSignal })).rejects.toThrow('signal must be an AbortSignal');
    expect(mutex.isLocked()).toBe(false);
  });
});

describe('Semaphore', () => {
  test('allows n holders at once', async () => {
    const semaphore = new Semaphore(3);
    let inside = 0;
    let maxInside = 0;
    await Promise.all(Array.from({ length: 10 }, () => semaphore.runExclusive(async () => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      await sleep(3);
      inside--;
    })));
    expect(maxInside).toBe(3);
    expect(semaphore.available).toBe(3);
  });

  test('weighted acquires are FIFO: a heavy waiter is not starved by light ones', async () => {
    const semaphore = new Semaphore(4);
    const order: string[] = [];
    const first = await semaphore.acquire({ weight: 3 });
    const heavy = semaphore.acquire({ weight: 4 }).then((release) => { order.push('heavy'); return release; });
    // A light acquire that would fit (1 free) must still wait behind the heavy one.
    const light = semaphore.acquire({ weight: 1 }).then((release) => { order.push('light'); return release; });
    expect(semaphore.tryAcquire(1)).toBeUndefined();
    await sleep(5);
    expect(order).toEqual([]);
    first();
    const releaseHeavy = await heavy;
    expect(semaphore.available).toBe(0);
    releaseHeavy();
    (await light)();
    expect(order).toEqual(['heavy', 'light']);
    expect(semaphore.available).toBe(4);
  });

  test('an aborted heavy head lets the lighter waiters behind it in', async () => {
    const semaphore = new Semaphore(2);
    const holder = await semaphore.acquire({ weight: 1 });
    const controller = new AbortController();
    const heavy = semaphore.acquire({ weight: 2, signal: controller.signal });
    const light = semaphore.acquire({ weight: 1 });
    controller.abort();
    await expect(heavy).rejects.toMatchObject({ name: 'AbortError' });
    const releaseLight = await light;
    expect(semaphore.available).toBe(0);
    releaseLight();
    holder();
    expect(semaphore.available).toBe(2);
  });

  test('timed-out waiters give back nothing they did not get', async () => {
    const semaphore = new Semaphore(2);
    const a = await semaphore.acquire({ weight: 2 });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => semaphore.acquire({ timeoutMs: 10 })));
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof LockTimeoutError)).toBe(true);
    a();
    expect(semaphore.available).toBe(2);
    expect(semaphore.waiting).toBe(0);
  });

  test('invalid weights and permits are refused', async () => {
    expect(() => new Semaphore(0)).toThrow('permits must be an integer >= 1, got 0');
    const semaphore = new Semaphore(2);
    await expect(semaphore.acquire({ weight: 3 })).rejects.toThrow('weight must be an integer in [1, 2], got 3');
    await expect(semaphore.acquire({ weight: 0.5 })).rejects.toThrow(RangeError);
    expect(semaphore.available).toBe(2);
  });
});

describe('RWLock', () => {
  test('readers share, a writer is exclusive', async () => {
    const rw = new RWLock();
    const r1 = await rw.acquireRead();
    const r2 = await rw.acquireRead();
    expect(rw.readers).toBe(2);
    expect(rw.tryAcquireWrite()).toBeUndefined();
    r1();
    r2();
    const w = await rw.acquireWrite();
    expect(rw.isWriteLocked()).toBe(true);
    expect(rw.tryAcquireRead()).toBeUndefined();
    w();
    expect(rw.isWriteLocked()).toBe(false);
  });

  test('a queued writer is not starved by readers arriving after it, and queued readers enter together', async () => {
    const rw = new RWLock();
    const events: string[] = [];
    const r1 = await rw.acquireRead();
    const writer = rw.runWrite(async () => { events.push('write start'); await sleep(5); events.push('write end'); });
    const lateReaders = Promise.all([1, 2].map((i) => rw.runRead(async () => {
      events.push(`read ${i} start`);
      await sleep(5);
      events.push(`read ${i} end`);
    })));
    await sleep(5);
    expect(events).toEqual([]); // the late readers wait behind the writer
    r1();
    await Promise.all([writer, lateReaders]);
    expect(events.slice(0, 2)).toEqual(['write start', 'write end']);
    // Both late readers were inside at the same time.
    expect(events.slice(2, 4).sort()).toEqual(['read 1 start', 'read 2 start']);
  });

  test('runWrite releases on throw; timeout and abort work for both modes', async () => {
    const rw = new RWLock();
    await expect(rw.runWrite(() => { throw new Error('fail in write'); })).rejects.toThrow('fail in write');
    expect(rw.isWriteLocked()).toBe(false);
    const w = await rw.acquireWrite();
    await expect(rw.acquireRead({ timeoutMs: 5 })).rejects.toBeInstanceOf(LockTimeoutError);
    await expect(rw.acquireWrite({ signal: AbortSignal.timeout(5) })).rejects.toMatchObject({ name: 'TimeoutError' });
    w();
    expect(rw.waiting).toBe(0);
    (await rw.acquireWrite())();
  });
});

/** The decode worker pool's budgets: time, heap, queue; a lost worker is replaced. */
import { HttpError } from '../src/http/http-error';
import { DecodePool } from '../src/intake/decode-pool';
import type { UploadJob } from '../src/intake/parse-upload';
import { gz, wallProfile } from './helpers/profiles';
import { datadogUpload } from './helpers/uploads';

const T0 = Date.UTC(2026, 0, 1);
const budget = { maxOutputBytes: 64 << 20, maxZstdWindowBytes: 32 << 20, maxDecodedBytes: 192 << 20 };

function job(): UploadJob {
  const u = datadogUpload({ wall: gz(wallProfile(T0)) }, { startMs: T0, endMs: T0 + 1000, service: 'pooled' });
  return { path: '/profiling/v1/input', contentType: u.contentType, query: { name: null, from: null, until: null, format: null, spyName: null, sampleRate: null }, body: u.body, budget };
}

const statusOf = (promise: Promise<unknown>) => promise.then(() => 200, (error: unknown) => (error instanceof HttpError ? error.status : -1));

test('an upload decodes in a worker into Buffers the store can write', async () => {
  const pool = new DecodePool({ workers: 1, maxQueued: 4, timeoutMs: 30_000, maxWorkerHeapMb: 128 });
  try {
    const [upload] = await pool.run(job());
    expect(upload!.service).toBe('pooled');
    expect(Buffer.isBuffer(upload!.profiles[0]!.gzipBytes)).toBe(true);
    expect(upload!.profiles[0]!.decodedBytes).toBeGreaterThan(0);
    expect(upload!.profiles[0]!.decoded).toBeUndefined();
  } finally {
    await pool.close();
  }
});

test('over the time budget the worker is ended, the upload gets 413, and a fresh worker takes the next', async () => {
  const lost: string[] = [];
  const pool = new DecodePool({ workers: 1, maxQueued: 4, timeoutMs: 1, maxWorkerHeapMb: 128, onWorkerLost: (reason) => lost.push(reason) });
  try {
    // 1 ms cannot even start a worker: every upload is over budget.
    await expect(pool.run(job())).rejects.toMatchObject({ status: 413, message: expect.stringMatching(/longer than 1 ms/) });
    expect(lost).toHaveLength(1);
  } finally {
    await pool.close();
  }
  const roomy = new DecodePool({ workers: 1, maxQueued: 4, timeoutMs: 30_000, maxWorkerHeapMb: 128 });
  try {
    expect(await statusOf(roomy.run(job()))).toBe(200);
  } finally {
    await roomy.close();
  }
});

test('a full queue answers 429 at once; the queued uploads still complete', async () => {
  const pool = new DecodePool({ workers: 1, maxQueued: 1, timeoutMs: 30_000, maxWorkerHeapMb: 128 });
  try {
    const statuses = await Promise.all([statusOf(pool.run(job())), statusOf(pool.run(job())), statusOf(pool.run(job()))]);
    expect(statuses).toEqual([200, 200, 429]);
  } finally {
    await pool.close();
  }
});

test('closing refuses what is queued with 503', async () => {
  const pool = new DecodePool({ workers: 1, maxQueued: 2, timeoutMs: 30_000, maxWorkerHeapMb: 128 });
  const first = statusOf(pool.run(job()));
  const queued = statusOf(pool.run(job()));
  await pool.close();
  expect(await queued).toBe(503);
  expect([200, 503]).toContain(await first);
});

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { HttpError } from '../http/http-error';
import type { IncomingUpload } from '../store/upload-meta';
import type { DecodeReply } from './decode-worker';
import type { UploadJob } from './parse-upload';

export interface DecodePoolOptions {
  /** Worker threads decoding at once. */
  workers: number;
  /** Uploads waiting for a worker; past it, 429. */
  maxQueued: number;
  /** Wall-clock budget of one upload's decoding; past it the worker is ended and the upload gets 413. */
  timeoutMs: number;
  /** V8 old-generation heap of each worker in MiB; a decode that needs more ends the worker (413). */
  maxWorkerHeapMb: number;
  /** Called when a worker is ended (over budget or crashed). */
  onWorkerLost?: (reason: string) => void;
}

interface Pending {
  job: UploadJob;
  resolve: (uploads: IncomingUpload[]) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker | undefined;
  current: (Pending & { id: number; timer: NodeJS.Timeout }) | undefined;
}

/**
 * Decodes uploads in worker threads with a time and a heap budget each, so no upload, however
 * hostile, blocks the event loop (`/info`, the UI) or takes the server's memory: over budget the
 * worker is terminated, the upload refused, and a fresh worker takes the next one.
 */
export class DecodePool {
  private readonly slots: Slot[];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: DecodePoolOptions) {
    this.slots = Array.from({ length: options.workers }, () => ({ worker: undefined, current: undefined }));
  }

  /** Decodes one request body into uploads; rejects with HttpError (400, 413, 429...). */
  run(job: UploadJob): Promise<IncomingUpload[]> {
    if (this.closed) return Promise.reject(new HttpError(503, 'the viewer is shutting down'));
    return new Promise((resolve, reject) => {
      const pending: Pending = { job, resolve, reject };
      const idle = this.slots.find((s) => !s.current);
      if (idle) this.dispatch(idle, pending);
      else if (this.queue.length < this.options.maxQueued) this.queue.push(pending);
      else reject(Object.assign(new HttpError(429, `busy: ${this.options.workers + this.queue.length} uploads are being decoded; retry shortly`), { retryAfterSeconds: 1 }));
    });
  }

  /** Ends every worker; queued uploads get 503. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new HttpError(503, 'the viewer is shutting down'));
    await Promise.all(this.slots.map(async (slot) => {
      const worker = slot.worker;
      slot.worker = undefined;
      if (slot.current) this.finish(slot, new HttpError(503, 'the viewer is shutting down'));
      await worker?.terminate();
    }));
  }

  private dispatch(slot: Slot, pending: Pending): void {
    const id = this.nextId++;
    const worker = (slot.worker ??= this.spawn(slot));
    const timer = setTimeout(() => {
      this.lose(slot, `an upload took longer than ${this.options.timeoutMs} ms to decode`);
    }, this.options.timeoutMs);
    timer.unref();
    slot.current = { ...pending, id, timer };
    worker.postMessage({ id, job: pending.job });
  }

  private spawn(slot: Slot): Worker {
    const worker = new Worker(WORKER_FILE.code, {
      eval: true,
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxWorkerHeapMb, maxYoungGenerationSizeMb: 16 },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    worker.on('message', (reply: DecodeReply) => {
      if (slot.worker !== worker || !slot.current || slot.current.id !== reply.id) return;
      this.finish(slot, reply.ok ? reviveUploads(reply.uploads) : new HttpError(reply.status, reply.message));
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (slot.worker !== worker) return;
      const outOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.lose(slot, outOfMemory ? `an upload needed more than the decoder's ${this.options.maxWorkerHeapMb} MiB of heap` : `the decoder failed: ${error.message}`, outOfMemory ? 413 : 500);
    });
    worker.on('exit', () => {
      if (slot.worker === worker) this.lose(slot, 'the decoder exited', 500);
    });
    return worker;
  }

  /** Ends a slot's worker (over budget or broken) and refuses its upload. */
  private lose(slot: Slot, reason: string, status = 413): void {
    const worker = slot.worker;
    slot.worker = undefined;
    void worker?.terminate();
    this.options.onWorkerLost?.(reason);
    if (slot.current) this.finish(slot, new HttpError(status, `${reason}; nothing was stored`));
  }

  private finish(slot: Slot, outcome: IncomingUpload[] | HttpError): void {
    const current = slot.current!;
    clearTimeout(current.timer);
    slot.current = undefined;
    if (outcome instanceof Error) current.reject(outcome);
    else current.resolve(outcome);
    const next = this.queue.shift();
    if (next && !this.closed) this.dispatch(slot, next);
  }
}

/** Structured clone turns Buffers into plain Uint8Arrays; the store wants Buffers. */
function reviveUploads(uploads: IncomingUpload[]): IncomingUpload[] {
  for (const upload of uploads) {
    for (const profile of upload.profiles) {
      const bytes = profile.gzipBytes as Uint8Array;
      profile.gzipBytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  }
  return uploads;
}

/**
 * The worker's entry file next to this module: `decode-worker.js` in the build, or the TypeScript
 * source when the viewer itself runs from source through tsx (its tests, `bench/`).
 */
const WORKER_FILE: { code: string } = (() => {
  const here = typeof __dirname === 'string' ? __dirname : '';
  const built = join(here, 'decode-worker.js');
  if (existsSync(built)) return { code: `require(${JSON.stringify(built)});` };
  const tsxRequireHook = require.resolve('tsx/cjs', { paths: [here] });
  return { code: `require(${JSON.stringify(tsxRequireHook)}); require(${JSON.stringify(join(here, 'decode-worker.ts'))});` };
})();

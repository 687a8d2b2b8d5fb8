/**
 * Entry of a decode worker thread (see DecodePool): decodes uploads so that a hostile one costs
 * this thread's time and memory, never the server's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { HttpError } from '../http/http-error';
import { parseUpload, type UploadJob } from './parse-upload';

export type DecodeReply =
  | { id: number; ok: true; uploads: Awaited<ReturnType<typeof parseUpload>> }
  | { id: number; ok: false; status: number; message: string };

parentPort?.on('message', (message: { id: number; job: UploadJob }) => {
  parseUpload(message.job).then(
    (uploads) => {
      // The decoded Profile objects stay here: cloning them would cost more than decoding again.
      for (const upload of uploads) for (const profile of upload.profiles) delete profile.decoded;
      parentPort!.postMessage({ id: message.id, ok: true, uploads } satisfies DecodeReply);
    },
    (error: unknown) => {
      const reply: DecodeReply = error instanceof HttpError
        ? { id: message.id, ok: false, status: error.status, message: error.message }
        : { id: message.id, ok: false, status: 500, message: `decoding failed: ${(error as Error)?.message ?? String(error)}` };
      parentPort!.postMessage(reply);
    },
  );
});

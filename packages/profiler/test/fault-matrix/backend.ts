import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How a fake Datadog agent misbehaves. */
export type BackendMode = 'healthy' | 'down' | 'http-500' | 'http-429' | 'never-answers' | 'resets' | 'slow';

/**
 * Delay of the `slow` backend before it answers 200: slow relative to the matrix's 200 ms period
 * (as 30 s would be at the default 60 s) yet inside the upload budget, which is capped at the period.
 */
export const SLOW_ANSWER_MS = 120;

/**
 * A loopback Datadog agent intake for the fault matrix: it reads each upload in full, counts the
 * ones that are real profile uploads (`POST /profiling/v1/input`, multipart with an `event` part
 * and at least one `.pprof` part) and answers as its mode says.
 */
export class FaultBackend {
  /** Periods (profile_seq) whose upload was answered with 200; a period sent twice counts once. */
  readonly deliveredPeriods = new Set<string>();
  /** Requests seen, whatever the answer. */
  requests = 0;
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly sockets = new Set<Socket>();
  private url = '';

  constructor(readonly mode: BackendMode) {
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts listening (or, for `down`, finds a port where nobody listens) and returns the agent URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${port}`;
    if (this.mode === 'down') await new Promise<void>((resolve) => this.server.close(() => resolve()));
    return this.url;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests++;
    if (this.mode === 'resets') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('latin1');
      const isUpload = req.method === 'POST' && req.url === '/profiling/v1/input' &&
        body.includes('name="event"') && /filename="[a-z-]+\.pprof"/.test(body);
      const ok = () => {
        const seq = /profile_seq:(\d+)/.exec(body)?.[1];
        if (isUpload && seq !== undefined) this.deliveredPeriods.add(seq);
        res.writeHead(isUpload ? 200 : 400).end();
      };
      if (this.mode === 'healthy') ok();
      else if (this.mode === 'slow') setTimeout(ok, SLOW_ANSWER_MS);
      else if (this.mode === 'http-500') res.writeHead(500).end('internal error');
      else if (this.mode === 'http-429') res.writeHead(429, { 'Retry-After': '1' }).end('slow down');
      // never-answers: the body was read; no answer ever comes.
    });
  }
}

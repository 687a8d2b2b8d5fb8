import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One upload received by the sink. */
export interface PyroscopeUpload {
  /** The `name` query parameter: `app{tags}`. */
  name: string;
  /** The profile body as sent (gzip pprof, raw, since @pyroscope/nodejs 0.6 sends `?format=pprof`). */
  body: Buffer;
}

/**
 * A minimal Pyroscope ingest endpoint on 127.0.0.1: accepts `POST /ingest`, answers 200, and keeps
 * the uploads per application name so each run can check that its profiler really sent profiles.
 */
export class PyroscopeSink {
  private server: Server | undefined;
  private readonly uploads = new Map<string, PyroscopeUpload[]>();
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        if (req.method === 'POST' && url.pathname === '/ingest') {
          const name = url.searchParams.get('name') ?? '';
          const app = name.split('{')[0];
          const list = this.uploads.get(app) ?? [];
          list.push({ name, body: Buffer.concat(chunks) });
          this.uploads.set(app, list);
          res.writeHead(200).end();
        } else {
          res.writeHead(404).end();
        }
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Uploads of one application name, removed from the sink. */
  take(app: string): PyroscopeUpload[] {
    const list = this.uploads.get(app) ?? [];
    this.uploads.delete(app);
    return list;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

import busboy from 'busboy';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One multipart part as busboy parsed it. */
export interface ReceivedPart {
  name: string;
  filename?: string;
  mimeType: string;
  data: Buffer;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  parts: ReceivedPart[];
  /** Which connection it came on (1-based, in order of connection). */
  connection: number;
  receivedAtMs: number;
}

/** How the server answers the n-th request (0-based). */
export type Behaviour =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'reset' }
  | { kind: 'slow'; delayMs: number; status?: number }
  | { kind: 'silent' };

/**
 * A real HTTP intake on 127.0.0.1 (or a unix socket) that parses every multipart upload with busboy
 * and answers according to `behave`. Only requests answered with 2xx land in `accepted`.
 */
export class IntakeServer {
  readonly received: ReceivedRequest[] = [];
  readonly accepted: ReceivedRequest[] = [];
  connections = 0;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private pendingTimers = new Set<NodeJS.Timeout>();
  behave: (index: number, request: ReceivedRequest) => Behaviour = () => ({ kind: 'status', status: 200 });

  constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (socket: Socket & { vigilConnection?: number }) => {
      socket.vigilConnection = ++this.connections;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(socketPath?: string): Promise<string> {
    await new Promise<void>((resolve) => (socketPath ? this.server.listen(socketPath, resolve) : this.server.listen(0, '127.0.0.1', resolve)));
    if (socketPath) return `unix://${socketPath}`;
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const t of this.pendingTimers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Resolves once `count` requests have been accepted, or rejects after `timeoutMs`. */
  async waitForAccepted(count: number, timeoutMs = 10_000): Promise<ReceivedRequest[]> {
    const end = Date.now() + timeoutMs;
    while (this.accepted.length < count) {
      if (Date.now() > end) throw new Error(`only ${this.accepted.length} of ${count} uploads accepted within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.accepted;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const request: ReceivedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      parts: [],
      connection: (req.socket as Socket & { vigilConnection?: number }).vigilConnection ?? 0,
      receivedAtMs: Date.now(),
    };
    const index = this.received.length;
    this.received.push(request);
    const behaviour = this.behave(index, request);
    if (behaviour.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    const answer = (status: number, headers: Record<string, string> = {}, body = '') => {
      if (status >= 200 && status < 300) this.accepted.push(request);
      res.writeHead(status, headers).end(body);
    };
    const contentType = req.headers['content-type'] ?? '';
    if (!contentType.startsWith('multipart/form-data')) {
      req.resume();
      req.on('end', () => answer(400, {}, 'not multipart'));
      return;
    }
    const parser = busboy({ headers: req.headers });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => request.parts.push({ name, filename: info.filename, mimeType: info.mimeType, data: Buffer.concat(chunks) }));
    });
    parser.on('field', (name, value, info) => request.parts.push({ name, mimeType: info.mimeType, data: Buffer.from(value) }));
    parser.on('error', () => answer(400, {}, 'bad multipart'));
    parser.on('close', () => {
      if (behaviour.kind === 'status') answer(behaviour.status, behaviour.headers, behaviour.body);
      else if (behaviour.kind === 'slow') {
        const t = setTimeout(() => {
          this.pendingTimers.delete(t);
          if (!res.destroyed && !req.socket.destroyed) answer(behaviour.status ?? 200);
        }, behaviour.delayMs);
        this.pendingTimers.add(t);
      }
      // 'silent': read everything, never answer.
    });
    req.pipe(parser);
  }
}

/** The named part, or a failure that says which parts did arrive. */
export function part(request: ReceivedRequest, name: string): ReceivedPart {
  const found = request.parts.find((p) => p.name === name);
  if (!found) throw new Error(`no part ${name}; parts: ${request.parts.map((p) => p.name).join(', ')}`);
  return found;
}

import type * as http from 'node:http';
import { parseRetryAfterMs } from './retry-policy';

/** Where requests go: an http(s) origin with an optional path prefix, or a unix socket. */
export interface HttpTarget {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number;
  /** Path prefix from the URL (no trailing slash), prepended to every request path. */
  readonly pathPrefix: string;
  /** Set for `unix:///path/to.sock` URLs. */
  readonly socketPath?: string;
  /** The URL without credentials, for messages. */
  readonly display: string;
}

/** Parses `http://`, `https://` or `unix:///path` (also `unix:/path`). Throws a readable error on anything else. */
export function parseTarget(url: string): HttpTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol === 'unix:') {
    const socketPath = decodeURIComponent(parsed.pathname);
    if (!socketPath) throw new Error(`${JSON.stringify(url)} has no socket path`);
    return { protocol: 'http:', hostname: 'localhost', port: 80, pathPrefix: '', socketPath, display: `unix://${socketPath}` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`${JSON.stringify(url)} is not an http://, https:// or unix:// URL`);
  }
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
  // URL keeps IPv6 hosts in brackets; http.request wants them bare.
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const pathPrefix = parsed.pathname.replace(/\/+$/, '');
  return { protocol: parsed.protocol, hostname, port, pathPrefix, display: `${parsed.protocol}//${parsed.host}${pathPrefix}` };
}

export interface HttpRequest {
  readonly method: 'POST';
  /** Path and query, appended to the target's path prefix. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface HttpResponse {
  readonly status: number;
  readonly retryAfterMs?: number;
  /** The first bytes of the body (kept for error messages; the rest is drained and dropped). */
  readonly bodySnippet: string;
}

export type SendResult =
  | { ok: true; response: HttpResponse }
  | { ok: false; kind: 'network-error' | 'timeout' | 'aborted'; error: Error };

const BODY_SNIPPET_BYTES = 1024;
/** Idle keep-alive sockets are closed after this, so a connection the server forgot is not reused forever. */
const IDLE_SOCKET_TIMEOUT_MS = 30_000;

/**
 * Sends requests to one target over reused keep-alive connections. No socket of ours keeps the
 * process alive, idle or in flight: with a backend that accepts and never answers, a request was
 * always in flight once the period was shorter than the request timeout, and the app never ended.
 * An exit flush that must finish is kept alive by core, for at most its budget.
 */
export class HttpTransport {
  /** Made at the first request: http, https and tls (5 ms at start-up) load when something is sent, not with the exporter. */
  private agent: http.Agent | undefined;

  constructor(readonly target: HttpTarget) {}

  /** `node:http`, or `node:https` for an https target. */
  private client(): typeof http {
    return process.getBuiltinModule(this.target.protocol === 'https:' ? 'node:https' : 'node:http') as typeof http;
  }

  private newAgent(): http.Agent {
    const agentOptions: http.AgentOptions = { keepAlive: true, maxSockets: 2, maxFreeSockets: 1, timeout: IDLE_SOCKET_TIMEOUT_MS };
    return new (this.client().Agent)(agentOptions);
  }

  /** One attempt: never rejects; resolves with the response or with why there is none. */
  send(request: HttpRequest, options: { timeoutMs: number; signal?: AbortSignal }): Promise<SendResult> {
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let req: http.ClientRequest | undefined;
      const finish = (result: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const fail = (kind: 'network-error' | 'timeout' | 'aborted', error: Error) => {
        finish({ ok: false, kind, error });
        req?.destroy();
      };
      const onAbort = () => fail('aborted', abortReason(options.signal));
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });

      const t = this.target;
      const requestOptions: http.RequestOptions = {
        method: request.method,
        path: `${t.pathPrefix}${request.path}`,
        headers: { ...request.headers, 'Content-Length': String(request.body.length) },
        agent: (this.agent ??= this.newAgent()),
        ...(t.socketPath ? { socketPath: t.socketPath } : { hostname: t.hostname, port: t.port }),
      };
      try {
        req = this.client().request(requestOptions, (res) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on('data', (chunk: Buffer) => {
            if (kept < BODY_SNIPPET_BYTES) {
              chunks.push(chunk.subarray(0, BODY_SNIPPET_BYTES - kept));
              kept += Math.min(chunk.length, BODY_SNIPPET_BYTES - kept);
            }
          });
          res.on('end', () => finish({
            ok: true,
            response: {
              status: res.statusCode ?? 0,
              retryAfterMs: parseRetryAfterMs(res.headers['retry-after']),
              bodySnippet: Buffer.concat(chunks).toString('utf8'),
            },
          }));
          res.on('error', (error) => fail('network-error', error));
          res.on('aborted', () => fail('network-error', new Error('response aborted')));
        });
      } catch (error) {
        return fail('network-error', error instanceof Error ? error : new Error(String(error)));
      }
      req.on('error', (error) => fail('network-error', error));
      // The Agent refs a pooled socket each time it hands it to a request.
      req.on('socket', (socket) => socket.unref());
      // One timer for the whole exchange: an idle-socket timeout would let a server that trickles
      // bytes hold the upload forever.
      timer = setTimeout(() => fail('timeout', new Error(`no complete response within ${options.timeoutMs} ms`)), Math.max(1, options.timeoutMs));
      timer.unref();
      req.end(request.body);
    });
  }

  /** Closes pooled connections (a later send opens new ones). */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error(reason === undefined ? 'aborted' : String(reason));
}

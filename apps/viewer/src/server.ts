import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { createConsoleLogger, ProblemReporter, safeLog } from '@vigil/core';
import { analysisRoute, describeProfile, listServices } from './http/api-routes';
import { HttpError } from './http/http-error';
import { BodyMemoryBudget, readBody } from './http/read-body';
import { checkBrowserOrigin, hostHeaderIsLoopback, LOOPBACK_HOSTS, presentedTokens, TOKEN_COOKIE, tokenMatches } from './http/request-guard';
import { send, sendError, sendJson } from './http/responses';
import { readAsset } from './http/static-assets';
import { DecodePool } from './intake/decode-pool';
import type { DecodeBudget } from './intake/decode-budget';
import { INTAKE_PATHS, OTLP_INTAKE_PATH } from './intake/parse-upload';
import {
  BODY_DEADLINE_MS, BODY_IDLE_TIMEOUT_MS, DECODE_TIMEOUT_MS, DECODE_WORKER_HEAP_MB, DECOMPRESSION_RATIO_LIMIT, DEFAULT_DATA_DIR, DEFAULT_MAX_BODY_BYTES,
  DEFAULT_RETENTION_MB, DEFAULT_VIEWER_HOST, DEFAULT_VIEWER_PORT, HEADERS_TIMEOUT_MS, MAX_DECODED_PROFILE_BYTES, MAX_ZSTD_WINDOW_BYTES,
  type ViewerOptions,
} from './options';
import { isProfileId, ProfileStore } from './store/profile-store';
import type { IncomingUpload, UploadMeta } from './store/upload-meta';

/** A running viewer. */
export interface ViewerHandle {
  /** Base URL, e.g. `http://127.0.0.1:8126`. */
  url: string;
  port: number;
  host: string;
  /** Absolute path of the data folder. */
  dataDir: string;
  /** Stops accepting requests, waits for uploads being stored, and releases the data folder. */
  close(): Promise<void>;
}

/** Decode worker threads: the machine's cores are shared with the app being profiled. */
const DECODE_WORKERS = 2;
/** Uploads waiting for a decode worker; more get 429, which profilers retry after a backoff. */
const MAX_QUEUED_DECODES = 16;
/** Request bodies held at once, as multiples of the largest body. */
const BODY_BUDGET_BODIES = 4;

/**
 * Starts the local viewer: Datadog-agent (`POST /profiling/v1/input`) and Pyroscope
* (`POST /ingest`) and OTLP profiles (`POST /v1development/profiles`) compatible intake, an on-disk profile store, a JSON API under /api and the
 * web UI at /. Resolves once it listens; rejects if the port is taken or the data folder unusable.
 */
export async function startViewer(options: ViewerOptions = {}): Promise<ViewerHandle> {
  const port = options.port ?? DEFAULT_VIEWER_PORT;
  const host = options.host ?? DEFAULT_VIEWER_HOST;
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const retentionMb = options.retentionMb ?? DEFAULT_RETENTION_MB;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer in [0, 65535], got ${port}`);
  if (!(retentionMb > 0)) throw new RangeError(`retentionMb must be a positive number, got ${retentionMb}`);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) throw new RangeError(`maxBodyBytes must be a positive integer, got ${maxBodyBytes}`);
  const token = options.token === '' ? undefined : options.token;
  const logger = options.logger ?? createConsoleLogger('warn');
  const problems = new ProblemReporter(logger);
  // Rebinding protection: a web page must not reach a loopback-only viewer through a DNS name of its own.
  const loopbackOnly = LOOPBACK_HOSTS.has(host);
  if (!loopbackOnly && !token) {
    throw new Error(`refusing to listen on ${host} without a token: anyone who can reach it could read and upload profiles. Pass --token (or VIGIL_VIEWER_TOKEN), or bind 127.0.0.1`);
  }

  const store = await ProfileStore.open(dataDir, { retentionBytes: retentionMb * 1024 * 1024, logger });
  const maxOutputBytes = Math.max(64 * 1024 * 1024, maxBodyBytes * DECOMPRESSION_RATIO_LIMIT);
  const budget: DecodeBudget = { maxOutputBytes, maxZstdWindowBytes: Math.min(MAX_ZSTD_WINDOW_BYTES, maxOutputBytes), maxDecodedBytes: MAX_DECODED_PROFILE_BYTES };
  const bodyBudget = new BodyMemoryBudget(maxBodyBytes * BODY_BUDGET_BODIES);
  const decoders = new DecodePool({
    workers: DECODE_WORKERS,
    maxQueued: MAX_QUEUED_DECODES,
    timeoutMs: DECODE_TIMEOUT_MS,
    maxWorkerHeapMb: DECODE_WORKER_HEAP_MB,
    onWorkerLost: (reason) => problems.report('decoder', `viewer: refused an upload: ${reason}`),
  });

  /** Reads, checks and stores one upload; answers only once it is durably on disk. */
  const receiveUpload = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const { body, release } = await readBody(req, { maxBytes: maxBodyBytes, idleTimeoutMs: BODY_IDLE_TIMEOUT_MS, deadlineMs: BODY_DEADLINE_MS, budget: bodyBudget });
    let uploads: IncomingUpload[];
    try {
      const q = url.searchParams;
      uploads = await decoders.run({
        path: url.pathname,
        contentType: req.headers['content-type'],
        query: { name: q.get('name'), from: q.get('from'), until: q.get('until'), format: q.get('format'), spyName: q.get('spyName'), sampleRate: q.get('sampleRate') },
        body,
        budget,
      });
    } finally {
      release();
    }
    if (url.pathname === OTLP_INTAKE_PATH) {
      // One OTLP request can carry several resources; each is stored as its own upload.
      const metas: UploadMeta[] = [];
      for (const upload of uploads) metas.push(await storeUpload(upload));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(); // an empty ExportProfilesServiceResponse
      safeLog(() => logger.debug(`viewer: stored OTLP uploads ${metas.map((m) => m.id).join(', ')}`));
      return;
    }
    const meta = await storeUpload(uploads[0]!);
    safeLog(() => logger.debug(`viewer: stored upload ${meta.id} from ${meta.service} (${meta.profiles.map((p) => p.type).join(', ')})`));
    sendJson(res, 200, { ok: true, uploadId: meta.id, profiles: meta.profiles.map((p) => ({ id: p.id, type: p.type })) });
  };

  /** Stores one parsed upload durably; a failing disk becomes a 5xx so the sender retries. */
  const storeUpload = async (incoming: IncomingUpload) => {
    try {
      return await store.add(incoming);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.report(`store-${code ?? 'error'}`, `viewer: could not store an upload in ${dataDir}: ${(error as Error).message}`);
      // 5xx: the sender keeps the profile and retries, which is right for a full disk that gets cleaned up.
      if (code === 'ENOSPC' || code === 'EDQUOT') throw new HttpError(507, `the viewer's disk is full (${dataDir}); nothing was stored`);
      throw new HttpError(503, `the upload could not be stored (${code ?? 'error'}); nothing was stored`);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://viewer.invalid');
    const path = url.pathname;
    if (loopbackOnly && !hostHeaderIsLoopback(req.headers.host)) {
      throw new HttpError(403, `Host ${JSON.stringify(req.headers.host ?? '')} refused: this viewer listens on ${host} and answers only to localhost names`);
    }
    if (token !== undefined) {
      const presented = presentedTokens(req, url);
      if (!presented.some((t) => tokenMatches(token, t))) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="vigil viewer"');
        throw new HttpError(401, 'this viewer needs its token: Authorization: Bearer <token> (or DD-API-KEY, X-Vigil-Token), or open the UI once with ?token=<token>');
      }
      // The UI opened with ?token= keeps it in a cookie its own requests carry; pages elsewhere cannot read it.
      if (url.searchParams.get('token') !== null && req.method === 'GET') {
        res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`);
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') checkBrowserOrigin(req);
    if (INTAKE_PATHS.includes(path)) {
      if (req.method !== 'POST') throw new HttpError(405, `${path} takes POST`);
      await receiveUpload(req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${path} takes GET`);
    if (path === '/info') {
      // dd-trace asks the agent what it supports; say what this one does.
      sendJson(res, 200, { version: 'vigil-viewer', endpoints: ['/profiling/v1/input'] });
      return;
    }
    if (path === '/api/services') {
      sendJson(res, 200, listServices(store));
      return;
    }
    const profileRoute = /^\/api\/profiles\/([^/]+)(\/pprof)?$/.exec(path);
    if (profileRoute) {
      const id = decodeURIComponent(profileRoute[1]!);
      const ref = isProfileId(id) ? store.find(id) : undefined;
      if (!ref) throw new HttpError(404, `no profile with id ${JSON.stringify(id)}`);
      if (profileRoute[2]) {
        const bytes = await store.readStoredBytes(ref).catch(() => {
          throw new HttpError(404, `profile ${id} was deleted`);
        });
        const fileName = `${safeFilePart(ref.profile.type)}_${safeFilePart(ref.upload.service)}_${ref.profile.id}.pprof`;
        send(res, 200, bytes, 'application/octet-stream', { 'Content-Disposition': `attachment; filename="${fileName}"` });
      } else {
        sendJson(res, 200, { ...describeProfile(ref), endpointCounts: ref.upload.endpointCounts, extra: ref.upload.extra });
      }
      return;
    }
    const apiRoute = /^\/api\/([a-z]+)$/.exec(path);
    if (apiRoute) {
      sendJson(res, 200, await analysisRoute(store, apiRoute[1]!, url.searchParams));
      return;
    }
    const asset = await readAsset(path);
    if (!asset) throw new HttpError(404, `nothing at ${path}`);
    send(res, 200, asset.body, asset.contentType);
  };

  // Header and request timeouts are enforced on this interval (Node's default is 30 s).
  const server: Server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
        const retryAfter = (error as HttpError & { retryAfterSeconds?: number }).retryAfterSeconds;
        if (retryAfter !== undefined && !res.headersSent) res.setHeader('Retry-After', String(retryAfter));
        if (error.status === 413 || !req.complete) {
          // The rest of the body is not wanted: answer, then close instead of reading it.
          res.setHeader('Connection', 'close');
          res.on('finish', () => req.socket.destroySoon());
          req.resume();
        }
        sendError(res, error.status, error.message);
        return;
      }
      problems.report('request', `viewer: ${req.method} ${req.url} failed: ${(error as Error)?.stack ?? String(error)}`);
      sendError(res, 500, 'internal error; see the viewer log');
    });
  });
  // Slow clients: headers within 10 s, the whole request within the body deadline (readBody also
  // times out a body that pauses). Bodies count against a memory budget as they arrive, so
  // connections trickling bytes hold almost nothing and do not lock honest uploads out.
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = BODY_DEADLINE_MS + 5_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (error) {
    await decoders.close();
    await store.close();
    throw error;
  }
  server.on('error', (error) => problems.report('server', `viewer server error: ${error.message}`));

  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    host,
    dataDir,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeIdleConnections?.();
        });
        await decoders.close();
        await store.close();
        safeLog(() => logger.debug(`viewer on ${host}:${address.port} closed`));
      })();
      return closing;
    },
  };
}

function safeFilePart(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || '_';
}

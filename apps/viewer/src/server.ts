import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { createConsoleLogger, ProblemReporter, safeLog } from '@vigil/core';
import { analysisRoute, describeProfile, listServices } from './http/api-routes';
import { HttpError } from './http/http-error';
import { readBody } from './http/read-body';
import { send, sendError, sendJson } from './http/responses';
import { readAsset } from './http/static-assets';
import { parseDatadogUpload } from './intake/datadog-intake';
import { parseMultipart } from './intake/multipart';
import { parsePyroscopeUpload } from './intake/pyroscope-intake';
import { parseOtlpUpload } from './intake/otlp-intake';
import { OTLP_PROFILES_PATH } from '@vigil/exporter';
import {
  DECOMPRESSION_RATIO_LIMIT, DEFAULT_DATA_DIR, DEFAULT_MAX_BODY_BYTES, DEFAULT_RETENTION_MB, DEFAULT_VIEWER_HOST, DEFAULT_VIEWER_PORT,
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

/**
 * Uploads read and checked at the same time. Each may hold up to maxBodyBytes (and its inflated
 * profiles) in memory, so more wait: they get 429, which profilers retry after a backoff.
 */
const MAX_CONCURRENT_UPLOADS = 8;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

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
  const logger = options.logger ?? createConsoleLogger('warn');
  const problems = new ProblemReporter(logger);

  const store = await ProfileStore.open(dataDir, { retentionBytes: retentionMb * 1024 * 1024, logger });
  const maxDecompressedBytes = Math.max(64 * 1024 * 1024, maxBodyBytes * DECOMPRESSION_RATIO_LIMIT);
  // Rebinding protection: a web page must not reach a loopback-only viewer through a DNS name of its own.
  const loopbackOnly = LOOPBACK_HOSTS.has(host);
  let uploadsInFlight = 0;

  /** Reads, checks and stores one upload; answers only once it is durably on disk. */
  const receiveUpload = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const body = await readBody(req, maxBodyBytes);
    let incoming: IncomingUpload;
    if (url.pathname === OTLP_PROFILES_PATH) {
      // One OTLP request can carry several resources; each is stored as its own upload.
      const metas: UploadMeta[] = [];
      for (const upload of parseOtlpUpload(body, maxDecompressedBytes)) metas.push(await storeUpload(upload));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(); // an empty ExportProfilesServiceResponse
      safeLog(() => logger.debug(`viewer: stored OTLP uploads ${metas.map((m) => m.id).join(', ')}`));
      return;
    }
    if (url.pathname === '/profiling/v1/input') {
      const parts = await parseMultipart(body, req.headers['content-type'], maxBodyBytes);
      incoming = parseDatadogUpload(parts, maxDecompressedBytes);
    } else {
      const q = url.searchParams;
      incoming = await parsePyroscopeUpload(
        { name: q.get('name'), from: q.get('from'), until: q.get('until'), format: q.get('format'), spyName: q.get('spyName'), sampleRate: q.get('sampleRate') },
        req.headers['content-type'],
        body,
        maxDecompressedBytes,
      );
    }
    const meta = await storeUpload(incoming);
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
    if (path === '/profiling/v1/input' || path === '/ingest' || path === OTLP_PROFILES_PATH) {
      if (req.method !== 'POST') throw new HttpError(405, `${path} takes POST`);
      if (uploadsInFlight >= MAX_CONCURRENT_UPLOADS) {
        res.setHeader('Retry-After', '1');
        throw new HttpError(429, `busy: ${MAX_CONCURRENT_UPLOADS} uploads are being stored; retry shortly`);
      }
      uploadsInFlight++;
      try {
        await receiveUpload(req, res, url);
      } finally {
        uploadsInFlight--;
      }
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

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
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
  // A stalled upload holds one of the MAX_CONCURRENT_UPLOADS slots; give up on it after two minutes.
  server.requestTimeout = 120_000;
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
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
        await store.close();
        safeLog(() => logger.debug(`viewer on ${host}:${address.port} closed`));
      })();
      return closing;
    },
  };
}

function hostHeaderIsLoopback(hostHeader: string | undefined): boolean {
  if (!hostHeader) return true; // HTTP/1.0 clients send none; a browser always does
  const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.replace(/:\d+$/, '');
  return LOOPBACK_HOSTS.has(name.toLowerCase());
}

function safeFilePart(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || '_';
}

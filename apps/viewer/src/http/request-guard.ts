import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error';

export const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Cookie the UI carries the token in once opened with `?token=`. */
export const TOKEN_COOKIE = 'vigil_token';

/**
 * Refuses a state-changing request a browser sends on behalf of another site: a web page on any
 * origin can POST a form or a `no-cors` fetch to a local port. Browsers say where a request comes
 * from (Origin, Sec-Fetch-Site); profilers send neither and stay accepted.
 */
export function checkBrowserOrigin(req: IncomingMessage): void {
  const fetchSite = headerValue(req, 'sec-fetch-site');
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    throw new HttpError(403, `refused a ${fetchSite} browser request: the viewer takes uploads from profilers and its own pages only`);
  }
  const origin = headerValue(req, 'origin');
  if (origin === undefined) return;
  const host = headerValue(req, 'host');
  let originHost: string | undefined;
  try {
    originHost = origin === 'null' ? undefined : new URL(origin).host;
  } catch {
    originHost = undefined;
  }
  if (!host || originHost !== host.toLowerCase()) {
    throw new HttpError(403, `refused a request from origin ${JSON.stringify(origin)}: the viewer takes uploads from profilers and its own pages only`);
  }
}

/**
 * The token a request carries: `Authorization: Bearer <t>` (OTLP exporters, Pyroscope's authToken),
 * the password of `Authorization: Basic` (Pyroscope's basicAuth), `DD-API-KEY` (dd-trace),
 * `X-Vigil-Token`, the UI's cookie, or `?token=` (the link that opens the UI).
 */
export function presentedTokens(req: IncomingMessage, url: URL): string[] {
  const tokens: string[] = [];
  const authorization = headerValue(req, 'authorization');
  if (authorization) {
    const [scheme, credentials = ''] = authorization.split(/\s+/, 2);
    if (/^bearer$/i.test(scheme ?? '')) tokens.push(credentials);
    if (/^basic$/i.test(scheme ?? '')) {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      tokens.push(decoded.slice(decoded.indexOf(':') + 1));
    }
  }
  for (const name of ['dd-api-key', 'x-vigil-token']) {
    const value = headerValue(req, name);
    if (value) tokens.push(value);
  }
  const cookie = cookieValue(headerValue(req, 'cookie'), TOKEN_COOKIE);
  if (cookie) tokens.push(cookie);
  const query = url.searchParams.get('token');
  if (query) tokens.push(query);
  return tokens;
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
export function tokenMatches(expected: string, presented: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(presented, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function hostHeaderIsLoopback(hostHeader: string | undefined): boolean {
  if (!hostHeader) return true; // HTTP/1.0 clients send none; a browser always does
  const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.replace(/:\d+$/, '');
  return LOOPBACK_HOSTS.has(name.toLowerCase());
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

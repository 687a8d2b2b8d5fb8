import type { ServerResponse } from 'node:http';

/** Headers on every response: no sniffing, no framing, and scripts only from the viewer itself. */
export const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
};

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, Buffer.from(JSON.stringify(value)), 'application/json; charset=utf-8');
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message });
}

export function send(res: ServerResponse, status: number, body: Buffer, contentType: string, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': contentType, 'Content-Length': String(body.length), 'Cache-Control': 'no-store', ...extraHeaders });
  res.end(body);
}

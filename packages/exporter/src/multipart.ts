import { randomBytes } from 'node:crypto';

/** One part of a multipart/form-data body. */
export interface MultipartPart {
  /** Form field name. */
  readonly name: string;
  /** Present for file parts (servers such as Pyroscope only read file parts). */
  readonly filename?: string;
  readonly contentType?: string;
  readonly data: Buffer | string;
}

/**
 * Builds a multipart/form-data body (RFC 7578) in one buffer. The boundary is random and checked
 * not to occur in any part, so binary pprof data can never end a part early.
 */
export function buildMultipart(parts: readonly MultipartPart[]): { body: Buffer; contentType: string } {
  const datas = parts.map((p) => (typeof p.data === 'string' ? Buffer.from(p.data, 'utf8') : p.data));
  let boundary = newBoundary();
  while (datas.some((d) => d.includes(boundary))) boundary = newBoundary();

  const chunks: Buffer[] = [];
  parts.forEach((part, i) => {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${quote(part.name)}"`;
    if (part.filename !== undefined) head += `; filename="${quote(part.filename)}"`;
    head += '\r\n';
    if (part.contentType) head += `Content-Type: ${part.contentType.replace(/[\r\n]/g, '')}\r\n`;
    head += '\r\n';
    chunks.push(Buffer.from(head, 'utf8'), datas[i]!, Buffer.from('\r\n'));
  });
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function newBoundary(): string {
  return `----vigil${randomBytes(16).toString('hex')}`;
}

/** Escapes a name for a quoted header parameter the way browsers do (RFC 7578 section 4.2). */
function quote(value: string): string {
  return value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

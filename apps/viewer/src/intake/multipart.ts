import busboy from 'busboy';
import { HttpError } from '../http/http-error';

/** One part of a multipart/form-data body, file or plain field. */
export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** Bounds on what one upload may contain; both intakes send far less. */
const LIMITS = { parts: 64, fieldSize: 1024 * 1024, headerPairs: 32 } as const;

/**
 * Parses a complete multipart/form-data body. Rejects (400) anything malformed or truncated, or
 * past the part limits, so a bad upload is refused whole instead of half-read.
 */
export function parseMultipart(body: Buffer, contentType: string | undefined, maxPartBytes: number): Promise<FormPart[]> {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) {
    return Promise.reject(new HttpError(400, `expected Content-Type multipart/form-data with a boundary, got ${JSON.stringify(contentType ?? '')}`));
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      // busboy reports a limit when the count reaches it, not when it passes: one more, so 64 parts are allowed.
      limits: { parts: LIMITS.parts + 1, files: LIMITS.parts + 1, fields: LIMITS.parts + 1, fieldSize: LIMITS.fieldSize, headerPairs: LIMITS.headerPairs, fileSize: maxPartBytes },
      defParamCharset: 'utf8',
    });
  } catch (error) {
    return Promise.reject(new HttpError(400, `malformed multipart Content-Type: ${(error as Error).message}`));
  }
  return new Promise((resolve, reject) => {
    const parts: FormPart[] = [];
    let failure: HttpError | undefined;
    const fail = (message: string) => {
      failure ??= new HttpError(400, message);
    };
    parser.on('file', (name, stream, info) => {
      // A Content-Disposition without a name (found by the fuzz test): refused, and its bytes drained.
      if (typeof name !== 'string') {
        fail('multipart part without a name');
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A body cut mid-part errors here as well as on the parser; unhandled, it would crash the server.
      stream.on('error', (error: Error) => fail(`malformed multipart body: ${error.message}`));
      stream.on('limit', () => fail(`multipart part ${JSON.stringify(name)} exceeds ${maxPartBytes} bytes`));
      stream.on('close', () => {
        parts.push({ name, filename: info.filename, contentType: info.mimeType, data: Buffer.concat(chunks) });
      });
    });
    parser.on('field', (name, value, info) => {
      if (typeof name !== 'string') return fail('multipart field without a name');
      if (info.nameTruncated || info.valueTruncated) fail(`multipart field ${JSON.stringify(name)} is too long`);
      parts.push({ name, data: Buffer.from(value, 'utf8'), contentType: info.mimeType });
    });
    parser.on('partsLimit', () => fail(`multipart body has more than ${LIMITS.parts} parts`));
    parser.on('filesLimit', () => fail(`multipart body has more than ${LIMITS.parts} files`));
    parser.on('fieldsLimit', () => fail(`multipart body has more than ${LIMITS.parts} fields`));
    parser.on('error', (error: Error) => reject(new HttpError(400, `malformed multipart body: ${error.message}`)));
    parser.on('close', () => {
      if (failure) reject(failure);
      else resolve(parts);
    });
    parser.end(body);
  });
}

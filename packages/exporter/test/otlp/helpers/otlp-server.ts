import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { MESSAGE_NAMES, otlpType } from '../../../src/otlp/profiles-proto';

/** One request as the receiver saw it, with the protobuf body decoded when it could be. */
export interface OtlpReceived {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The body as sent (compressed when Content-Encoding says so). */
  rawBody: Buffer;
  /** The body after Content-Encoding was undone. */
  body: Buffer;
  /** The decoded ExportProfilesServiceRequest as a plain object (longs as strings, bytes as Buffers). */
  message?: OtlpRequestObject;
  decodeError?: string;
  /** When the request began to arrive (epoch ms). */
  receivedAtMs: number;
}

/** Plain-object view of a decoded request (only what tests look at is typed loosely). */
export type OtlpRequestObject = {
  resourceProfiles: Array<{
    resource: { attributes: KeyValueObject[] };
    scopeProfiles: Array<{
      scope: { name: string; version: string; attributes: KeyValueObject[] };
      profiles: ProfileObject[];
      schemaUrl: string;
    }>;
    schemaUrl: string;
  }>;
  dictionary: {
    mappingTable: Array<Record<string, unknown>>;
    locationTable: Array<{ mappingIndex: number; address: string; lines: Array<{ functionIndex: number; line: string; column: string }>; attributeIndices: number[] }>;
    functionTable: Array<{ nameStrindex: number; systemNameStrindex: number; filenameStrindex: number; startLine: string }>;
    linkTable: Array<{ traceId: Buffer; spanId: Buffer }>;
    stringTable: string[];
    attributeTable: Array<{ keyStrindex: number; value: AnyValueObject; unitStrindex: number }>;
    stackTable: Array<{ locationIndices: number[] }>;
  };
};
export type AnyValueObject = { stringValue?: string; boolValue?: boolean; intValue?: string; doubleValue?: number; arrayValue?: { values: AnyValueObject[] }; bytesValue?: Buffer; stringValueStrindex?: number };
export type KeyValueObject = { key: string; value: AnyValueObject; keyStrindex: number };
export type ProfileObject = {
  sampleType: { typeStrindex: number; unitStrindex: number };
  samples: Array<{ stackIndex: number; attributeIndices: number[]; linkIndex: number; values: string[]; timestampsUnixNano: string[] }>;
  timeUnixNano: string;
  durationNano: string;
  periodType?: { typeStrindex: number; unitStrindex: number };
  period: string;
  profileId: Buffer;
  attributeIndices: number[];
  droppedAttributesCount: number;
  originalPayloadFormat: string;
};

export type OtlpBehaviour =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string | Buffer }
  | { kind: 'silent' }
  | { kind: 'reset' };

/**
 * An OTLP/HTTP profiles receiver on 127.0.0.1: reads each request whole, undoes gzip, decodes the
 * protobuf and answers as `behave` says (by default 200 with an empty ExportProfilesServiceResponse).
 */
export class OtlpServer {
  readonly received: OtlpReceived[] = [];
  readonly accepted: OtlpReceived[] = [];
  behave: (index: number, request: OtlpReceived) => OtlpBehaviour = () => ({ kind: 'status', status: 200 });
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async waitForAccepted(count: number, timeoutMs = 10_000): Promise<OtlpReceived[]> {
    const end = Date.now() + timeoutMs;
    while (this.accepted.length < count) {
      if (Date.now() > end) throw new Error(`only ${this.accepted.length} of ${count} requests accepted within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.accepted;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const receivedAtMs = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const received: OtlpReceived = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawBody, body: rawBody, receivedAtMs };
      try {
        received.body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(rawBody) : rawBody;
        const type = otlpType(MESSAGE_NAMES.request);
        received.message = type.toObject(type.decode(received.body), { longs: String, bytes: Buffer, defaults: true, arrays: true }) as OtlpRequestObject;
      } catch (error) {
        received.decodeError = (error as Error).message;
      }
      const index = this.received.length;
      this.received.push(received);
      const behaviour = this.behave(index, received);
      if (behaviour.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (behaviour.kind === 'silent') return;
      if (behaviour.status >= 200 && behaviour.status < 300) this.accepted.push(received);
      const body = behaviour.body ?? (behaviour.status === 200 ? Buffer.from(otlpType(MESSAGE_NAMES.response).encode({}).finish()) : '');
      res.writeHead(behaviour.status, { 'Content-Type': 'application/x-protobuf', ...(behaviour.headers ?? {}) }).end(body);
    });
  }
}

/** Resource or scope attributes as a record of plain values (ints as strings, as decoded). */
export function attributesOf(keyValues: KeyValueObject[]): Record<string, unknown> {
  return Object.fromEntries(keyValues.map((kv) => [kv.key, plain(kv.value)]));
}

export function plain(value: AnyValueObject | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined && value.stringValue !== '') return value.stringValue;
  if (value.intValue !== undefined && value.intValue !== '0') return { int: value.intValue };
  if (value.boolValue) return true;
  if (value.doubleValue) return value.doubleValue;
  if (value.arrayValue) return value.arrayValue.values.map(plain);
  if (value.intValue === '0') return { int: '0' };
  return value.stringValue;
}

import { randomBytes } from 'node:crypto';
import { request } from 'node:http';

export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer | string;
}

/** A multipart/form-data body built by hand (RFC 7578), as form-data / undici send it. */
export function multipart(parts: readonly Part[], boundary = `----vigiltest${randomBytes(12).toString('hex')}`): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface DatadogUploadOptions {
  service?: string;
  env?: string;
  version?: string;
  startMs: number;
  endMs: number;
  extraTags?: Record<string, string>;
  endpointCounts?: Record<string, number>;
}

/**
 * A Datadog agent upload exactly as dd-trace-js 5 sends it (exporters/agent.js and
 * event_serializer.js): part `event` (event.json) and one `{type}.pprof` part per profile.
 */
export function datadogUpload(profiles: Record<string, Buffer>, o: DatadogUploadOptions): { body: Buffer; contentType: string; headers: Record<string, string> } {
  const tags: Record<string, string> = {
    service: o.service ?? 'web-service', env: o.env ?? 'test', version: o.version ?? '1.0.0',
    'runtime-id': 'e9a3f1f0-0000-4000-8000-000000000001', host: 'test-host', ...o.extraTags,
  };
  const event = {
    attachments: Object.keys(profiles).map((t) => `${t}.pprof`),
    start: new Date(o.startMs).toISOString(),
    end: new Date(o.endMs).toISOString(),
    family: 'node',
    version: '4',
    tags_profiler: [
      'language:javascript', 'runtime:nodejs', `runtime_arch:${process.arch}`, `runtime_os:${process.platform}`,
      `runtime_version:${process.version}`, `process_id:${process.pid}`, 'profiler_version:5.0.0', 'format:pprof',
      ...Object.entries(tags).map(([k, v]) => `${k}:${v}`),
    ].join(','),
    endpoint_counts: o.endpointCounts ?? { 'GET /compute': 10, 'GET /page': 20 },
    info: {
      application: { env: tags.env, service: tags.service, start_time: new Date(o.startMs).toISOString(), version: tags.version },
      platform: { hostname: 'test-host', kernel_name: 'Linux', kernel_release: '6', kernel_version: '#1' },
      profiler: { activation: 'manual', ssi: { mechanism: 'none' }, version: '5.0.0' },
      runtime: { available_processors: 2, engine: 'nodejs', libuv_threadpool_size: 4, version: process.version.slice(1) },
    },
  };
  const parts: Part[] = [{ name: 'event', filename: 'event.json', contentType: 'application/json', data: JSON.stringify(event) }];
  for (const [type, data] of Object.entries(profiles)) parts.push({ name: `${type}.pprof`, filename: `${type}.pprof`, contentType: 'application/octet-stream', data });
  const { body, contentType } = multipart(parts);
  return { body, contentType, headers: { 'DD-EVP-ORIGIN': 'dd-trace-js', 'DD-EVP-ORIGIN-VERSION': '5.0.0' } };
}

/** A Pyroscope /ingest upload as @pyroscope/nodejs sends it: part `profile` (filename "profile"). */
export function pyroscopeUpload(profile: Buffer, sampleTypeConfig?: object): { body: Buffer; contentType: string } {
  const parts: Part[] = [{ name: 'profile', filename: 'profile', contentType: 'text/json', data: profile }];
  if (sampleTypeConfig) parts.push({ name: 'sample_type_config', filename: 'sample_type_config.json', contentType: 'application/json', data: JSON.stringify(sampleTypeConfig) });
  return multipart(parts);
}

export interface RawResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** POST with node:http (full control of headers and body, unlike fetch). */
export function post(url: string, body: Buffer, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Length': String(body.length), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function getJson<T = any>(url: string): Promise<{ status: number; json: T }> {
  const res = await fetch(url);
  return { status: res.status, json: (await res.json()) as T };
}

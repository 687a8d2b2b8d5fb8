import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProfileBuilder, type Logger } from '@vigil/core';
import { otlpExporter, otlpExporterFromEnv, otlpToPprof, OTLP_PROTO_VERSION } from '../../src/otlp';
import { batchOf, fullBatch, PERIOD, wallProfile } from '../helpers/profiles';
import { canonical } from './helpers/canonical';
import { attributesOf, OtlpServer, plain, type OtlpReceived, type OtlpRequestObject } from './helpers/otlp-server';

const signal = () => new AbortController().signal;

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string) => {
    lines.push(`${level}: ${message}`);
  };
  return { lines, error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') };
}

function message(request: OtlpReceived): OtlpRequestObject {
  if (!request.message) throw new Error(`request did not decode: ${request.decodeError}`);
  return request.message;
}

describe('otlpExporter against a local OTLP/HTTP receiver', () => {
  let server: OtlpServer;
  let url: string;
  beforeEach(async () => {
    server = new OtlpServer();
    url = await server.listen();
  });
  afterEach(() => server.close());

  test('one gzip protobuf ExportProfilesServiceRequest per batch, checked field by field', async () => {
    const exporter = otlpExporter({ url, headers: { 'X-Scope-OrgID': 'team-a' }, env: {} });
    const batch = fullBatch();
    expect(await exporter.export(batch, signal())).toEqual({ ok: true });
    await exporter.shutdown();

    expect(server.accepted).toHaveLength(1);
    const request = server.accepted[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/v1development/profiles');
    expect(request.headers['content-type']).toBe('application/x-protobuf');
    expect(request.headers['content-encoding']).toBe('gzip');
    expect(request.headers['x-scope-orgid']).toBe('team-a');
    expect(request.rawBody.length).toBeLessThan(request.body.length);
    const m = message(request);

    // Resource: one per batch, semantic-convention names and types (process.pid is an int).
    expect(m.resourceProfiles).toHaveLength(1);
    const rp = m.resourceProfiles[0]!;
    expect(attributesOf(rp.resource.attributes)).toMatchObject({
      'service.name': 'web-service',
      'service.version': '2.1.0',
      'deployment.environment.name': 'production',
      'service.instance.id': batch.runtime.runtimeId,
      'process.pid': { int: String(process.pid) },
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      'telemetry.sdk.name': 'vigil',
      'telemetry.sdk.language': 'nodejs',
      team: 'backend',
    });
    for (const kv of rp.resource.attributes) expect(kv.key).not.toBe('');

    // Scope: one per pprof profile, named vigil, telling its type and sample type order.
    const dict = m.dictionary;
    const s = (i: number) => dict.stringTable[i];
    expect(rp.scopeProfiles.map((sp) => attributesOf(sp.scope.attributes)['vigil.profile.type'])).toEqual(['wall', 'cpu', 'space', 'events', 'lock']);
    for (const sp of rp.scopeProfiles) {
      expect(sp.scope.name).toBe('vigil');
      expect(sp.scope.version).toMatch(/^\d+\.\d+\.\d+/);
      const order = attributesOf(sp.scope.attributes)['pprof.scope.sample_type_order'] as Array<{ int: string }>;
      expect(order.map((o) => Number(o.int))).toEqual(sp.profiles.map((_, i) => i));
    }

    // Profiles: one per sample type, with the pprof fields.
    const profilesOf = (i: number) => rp.scopeProfiles[i]!.profiles;
    expect(rp.scopeProfiles.map((sp) => sp.profiles.map((p) => `${s(p.sampleType.typeStrindex)}/${s(p.sampleType.unitStrindex)}`))).toEqual([
      ['sample/count', 'wall/nanoseconds'],
      ['sample/count', 'cpu/nanoseconds'],
      ['inuse_objects/count', 'inuse_space/bytes'],
      ['timeline/nanoseconds'],
      ['lock-acquire/count', 'lock-acquire-wait/nanoseconds', 'lock-release/count', 'lock-release-hold/nanoseconds'],
    ]);
    const wall = profilesOf(0);
    for (const p of wall) {
      expect(p.timeUnixNano).toBe(String(BigInt(PERIOD.startMs) * 1_000_000n));
      expect(p.durationNano).toBe('60000000000');
      expect(`${s(p.periodType!.typeStrindex)}/${s(p.periodType!.unitStrindex)}`).toBe('wall/nanoseconds');
      expect(p.period).toBe('10000000');
      expect(p.profileId).toHaveLength(16);
      expect(p.profileId.some((b) => b !== 0)).toBe(true);
      expect(p.samples).toHaveLength(2);
      expect(p.droppedAttributesCount).toBe(0);
      expect(p.originalPayloadFormat).toBe('');
    }
    expect(new Set(rp.scopeProfiles.flatMap((sp) => sp.profiles.map((p) => p.profileId.toString('hex')))).size).toBe(11);
    expect(wall[0]!.samples.map((x) => x.values)).toEqual([['7'], ['3']]);
    expect(wall[1]!.samples.map((x) => x.values)).toEqual([['70000000'], ['30000000']]);
    // The same stacks in both profiles of a pprof profile, so they zip back together.
    expect(wall[0]!.samples.map((x) => x.stackIndex)).toEqual(wall[1]!.samples.map((x) => x.stackIndex));

    // Dictionary: zero values first, no duplicates, stacks leaf first, frames resolved through it.
    expect(dict.stringTable[0]).toBe('');
    expect(new Set(dict.stringTable).size).toBe(dict.stringTable.length);
    expect(dict.mappingTable[0]).toEqual({ memoryStart: '0', memoryLimit: '0', fileOffset: '0', filenameStrindex: 0, attributeIndices: [] });
    expect(dict.locationTable[0]).toEqual({ mappingIndex: 0, address: '0', lines: [], attributeIndices: [] });
    expect(dict.functionTable[0]).toEqual({ nameStrindex: 0, systemNameStrindex: 0, filenameStrindex: 0, startLine: '0' });
    expect(dict.stackTable[0]).toEqual({ locationIndices: [] });
    expect(dict.attributeTable[0]).toMatchObject({ keyStrindex: 0, unitStrindex: 0 });
    expect(dict.linkTable[0]!.traceId).toEqual(Buffer.alloc(16));
    expect(dict.linkTable[0]!.spanId).toEqual(Buffer.alloc(8));
    const frames = (stackIndex: number) => dict.stackTable[stackIndex]!.locationIndices.map((li) => {
      const line = dict.locationTable[li]!.lines[0]!;
      const fn = dict.functionTable[line.functionIndex]!;
      return `${s(fn.nameStrindex)} ${s(fn.filenameStrindex)}:${line.line}`;
    });
    expect(frames(wall[0]!.samples[0]!.stackIndex)).toEqual(['hotLoop /app/hot.js:10', 'main /app/index.js:1']);
    // wall and cpu share the hotLoop stack: one entry for both.
    expect(profilesOf(1)[0]!.samples[0]!.stackIndex).toBe(wall[0]!.samples[0]!.stackIndex);
    expect(new Set(dict.stackTable.map((st) => st.locationIndices.join(','))).size).toBe(dict.stackTable.length);
    expect(new Set(dict.functionTable.map((f) => `${f.nameStrindex},${f.filenameStrindex}`)).size).toBe(dict.functionTable.length);

    // Labels are sample attributes (lock name), numeric ones integers (end_timestamp_ns).
    const attribute = (i: number) => ({ key: s(dict.attributeTable[i]!.keyStrindex), value: plain(dict.attributeTable[i]!.value) });
    expect(profilesOf(4)[0]!.samples[0]!.attributeIndices.map(attribute)).toEqual([{ key: 'lock name', value: 'hot.js:12:dbLock' }]);
    const eventAttributes = profilesOf(3)[0]!.samples[0]!.attributeIndices.map(attribute);
    expect(eventAttributes).toContainEqual({ key: 'event', value: 'gc' });
    expect(eventAttributes.find((a) => a.key === 'end_timestamp_ns')!.value).toEqual({ int: String(PERIOD.startMs * 1e6 + 5e9) });

    // And the whole request decodes back to the batch's profiles.
    const decoded = otlpToPprof(request.rawBody);
    expect(decoded.map((d) => canonical(d.profile))).toEqual(batch.profiles.map((p) => canonical(p.profile)));
  });

  test('samples with a span id get a Link to that span (trace id unknown: zero); local root span id stays an attribute', async () => {
    const b = new ProfileBuilder({ sampleTypes: [['sample', 'count'], ['wall', 'nanoseconds']], timeNanos: BigInt(PERIOD.startMs) * 1_000_000n, durationNanos: 60_000_000_000n });
    b.addSample([{ name: 'inSpan', file: '/a.js', line: 1 }], [1, 10], { 'span id': '1234567890123456789', 'local root span id': '42', 'trace endpoint': 'GET /x' });
    b.addSample([{ name: 'inHexSpan', file: '/a.js', line: 2 }], [1, 10], { 'span id': '00f067aa0ba902b7', 'local root span id': '43' });
    b.addSample([{ name: 'noSpan', file: '/a.js', line: 3 }], [1, 10]);
    const exporter = otlpExporter({ url, env: {} });
    expect(await exporter.export(batchOf([{ type: 'wall', profile: b.build() }]), signal())).toEqual({ ok: true });
    const m = message(server.accepted[0]!);
    const dict = m.dictionary;
    const [samples] = m.resourceProfiles[0]!.scopeProfiles[0]!.profiles.map((p) => p.samples);
    const link = (i: number) => dict.linkTable[samples![i]!.linkIndex]!;
    expect(link(0).spanId.toString('hex')).toBe(BigInt('1234567890123456789').toString(16).padStart(16, '0'));
    expect(link(0).traceId).toEqual(Buffer.alloc(16));
    expect(link(1).spanId.toString('hex')).toBe('00f067aa0ba902b7');
    expect(samples![2]!.linkIndex).toBe(0);
    const keys = samples![0]!.attributeIndices.map((i) => dict.stringTable[dict.attributeTable[i]!.keyStrindex]);
    expect(keys.sort()).toEqual(['local root span id', 'span id', 'trace endpoint']);
    // Decoding keeps the label as written (decimal), not the link's hex.
    const labels = canonical(otlpToPprof(server.accepted[0]!.rawBody)[0]!.profile).samples[0]!.labels;
    expect(labels).toContainEqual(['span id', 'str', '1234567890123456789']);
    await exporter.shutdown();
  });

  test('retries 503 (honouring Retry-After) and 429, then delivers once', async () => {
    server.behave = (i) => (i === 0 ? { kind: 'status', status: 503, headers: { 'Retry-After': '1' } } : i === 1 ? { kind: 'status', status: 429 } : { kind: 'status', status: 200 });
    const exporter = otlpExporter({ url, env: {}, retry: { initialBackoffMs: 50, maxBackoffMs: 100 } });
    const started = Date.now();
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    expect(server.received).toHaveLength(3);
    expect(server.accepted).toHaveLength(1);
    // Retry-After: 1 second, although the backoff alone would have waited at most 100 ms.
    expect(server.received[1]!.receivedAtMs - server.received[0]!.receivedAtMs).toBeGreaterThanOrEqual(950);
    expect(server.received[2]!.receivedAtMs - server.received[1]!.receivedAtMs).toBeLessThan(900);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(exporter.stats).toMatchObject({ delivered: 1, failed: 0, attempts: 3 });
    // Every attempt carried the same complete request.
    expect(new Set(server.received.map((r) => r.body.toString('base64'))).size).toBe(1);
    await exporter.shutdown();
  });

  test('400 is not retried and the error says why, with header secrets redacted', async () => {
    server.behave = (_i, r) => ({ kind: 'status', status: 400, body: `bad request from ${r.headers.authorization}` });
    const exporter = otlpExporter({ url, env: { OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20s3cr3t-t0ken' } });
    const result = await exporter.export(fullBatch(), signal());
    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.headers.authorization).toBe('Bearer s3cr3t-t0ken');
    expect(result.ok).toBe(false);
    const error = (result as { error: Error }).error.message;
    expect(error).toContain('HTTP 400');
    expect(error).not.toContain('s3cr3t-t0ken');
    expect(error).toContain('<redacted>');
    await exporter.shutdown();
  });

  test('a silent receiver costs at most the upload budget; a refused connection fails fast; neither throws', async () => {
    server.behave = () => ({ kind: 'silent' });
    const exporter = otlpExporter({ url, env: {}, uploadTimeoutMs: 1_500, requestTimeoutMs: 400, retry: { initialBackoffMs: 50, maxBackoffMs: 100 } });
    let started = Date.now();
    const result = await exporter.export(fullBatch(), signal());
    expect(result.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((result as { error: Error }).error.message).toMatch(/timed out|ran out of time|gave up/);
    await exporter.shutdown();

    const down = otlpExporter({ url: 'http://127.0.0.1:9', env: {}, uploadTimeoutMs: 2_000, retry: { maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 10 } });
    started = Date.now();
    const refused = await down.export(fullBatch(), signal());
    expect(refused.ok).toBe(false);
    expect((refused as { error: Error }).error.message).toMatch(/network error/);
    expect(Date.now() - started).toBeLessThan(2_500);
    await down.shutdown();
  });

  test('profileTypes selects profiles; a request over maxRequestBytes is split per profile and an oversized profile is dropped with a warning', async () => {
    const logger = recordingLogger();
    const only = otlpExporter({ url, env: {}, profileTypes: ['cpu', 'lock'] });
    await only.export(fullBatch(), signal());
    expect(otlpToPprof(server.accepted[0]!.rawBody).map((d) => d.type)).toEqual(['cpu', 'lock']);

    const big = new ProfileBuilder({ sampleTypes: [['sample', 'count']] });
    for (let i = 0; i < 3000; i++) big.addSample([{ name: `function_number_${i}_with_a_long_name`, file: `/app/file${i}.js`, line: i }], [1]);
    const batch = batchOf([{ type: 'wall', profile: wallProfile() }, { type: 'cpu', profile: wallProfile() }, { type: 'huge', profile: big.build() }]);
    const small = otlpExporter({ url, env: {}, maxRequestBytes: 20_000, logger, compression: 'none' });
    expect(await small.export(batch, signal())).toEqual({ ok: true });
    const after = server.accepted.slice(1);
    expect(after.map((r) => otlpToPprof(r.rawBody).map((d) => d.type))).toEqual([['wall'], ['cpu']]);
    for (const r of after) expect(r.body.length).toBeLessThanOrEqual(20_000);
    expect(logger.lines.some((l) => /^warn: otlp: dropped the huge profile: \d+ bytes encoded, over the 20000-byte request limit$/.test(l))).toBe(true);
    await only.shutdown();
    await small.shutdown();
  });
});

describe('configuration from the OpenTelemetry environment variables', () => {
  let server: OtlpServer;
  let url: string;
  beforeEach(async () => {
    server = new OtlpServer();
    url = await server.listen();
  });
  afterEach(() => server.close());

  test('OTEL_EXPORTER_OTLP_ENDPOINT (+ path), headers, service name, resource attributes, compression', async () => {
    const exporter = otlpExporterFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: `${url}/otlp/`,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-scope-orgid=team%20a, x-other=1',
      OTEL_EXPORTER_OTLP_PROFILES_HEADERS: 'x-other=2',
      OTEL_SERVICE_NAME: 'from-env',
      OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=pod-1,service.name=overridden-by-OTEL_SERVICE_NAME,deployment.environment.name=staging',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
    });
    expect(exporter.endpoint).toBe(`${url}/otlp/v1development/profiles`);
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    const request = server.accepted[0]!;
    expect(request.url).toBe('/otlp/v1development/profiles');
    expect(request.headers['x-scope-orgid']).toBe('team a');
    expect(request.headers['x-other']).toBe('2');
    expect(request.headers['content-encoding']).toBeUndefined();
    expect(attributesOf(message(request).resourceProfiles[0]!.resource.attributes)).toMatchObject({
      'service.name': 'from-env',
      'k8s.pod.name': 'pod-1',
      'deployment.environment.name': 'staging',
    });
    await exporter.shutdown();
  });

  test('OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT is used as is and wins; options win over the environment', async () => {
    const exporter = otlpExporterFromEnv({ OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT: `${url}/custom/profiles?tenant=a`, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    expect(server.accepted[0]!.url).toBe('/custom/profiles?tenant=a');
    await exporter.shutdown();

    const explicit = otlpExporter({
      url,
      resource: { 'service.name': 'explicit', 'k8s.namespace.name': 'shop' },
      dropResourceAttributes: ['service.instance.id', 'process.pid'],
      env: { OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT: 'http://127.0.0.1:9/x', OTEL_SERVICE_NAME: 'env' },
    });
    expect(await explicit.export(fullBatch(), signal())).toEqual({ ok: true });
    expect(server.accepted[1]!.url).toBe('/v1development/profiles');
    const attributes = attributesOf(message(server.accepted[1]!).resourceProfiles[0]!.resource.attributes);
    expect(attributes).toMatchObject({ 'service.name': 'explicit', 'k8s.namespace.name': 'shop' });
    expect(attributes).not.toHaveProperty('service.instance.id');
    expect(attributes).not.toHaveProperty('process.pid');
    await explicit.shutdown();
  });

  test('bad values are one warning each, naming the variable and what is used, never a header value; the exporter still works', async () => {
    const logger = recordingLogger();
    const exporter = otlpExporterFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://nowhere',
      OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT: `${url}`,
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20ok-secret,broken-entry-with-secret-value',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TIMEOUT: 'soon',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd',
      OTEL_RESOURCE_ATTRIBUTES: 'a=1,=nokey',
    }, logger);
    expect(logger.lines.sort()).toEqual([
      'warn: OTEL_EXPORTER_OTLP_COMPRESSION="zstd" is not one of gzip, none; using gzip',
      'warn: OTEL_EXPORTER_OTLP_HEADERS has entries that are not key=value (entry 2); using the other entries',
      'warn: OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is not supported by Vigil\'s profiles exporter (only http/protobuf); using http/protobuf',
      'warn: OTEL_EXPORTER_OTLP_TIMEOUT="soon" is not an integer of milliseconds in [1, 600000]; using 10000',
      'warn: OTEL_RESOURCE_ATTRIBUTES="a=1,=nokey" has entries that are not key=value ("=nokey"); using the other entries',
    ]);
    expect(logger.lines.join('\n')).not.toContain('secret');
    // The per-signal endpoint is fine, so the bad base endpoint is not even looked at.
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    expect(server.accepted[0]!.url).toBe('/');
    expect(server.accepted[0]!.headers.authorization).toBe('Bearer ok-secret');
    await exporter.shutdown();

    const fallback = recordingLogger();
    const defaulted = otlpExporterFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, fallback);
    expect(defaulted.endpoint).toBe('http://localhost:4318/v1development/profiles');
    expect(fallback.lines).toEqual(['warn: OTEL_EXPORTER_OTLP_ENDPOINT="not a url" is not an http:// or https:// URL; using http://localhost:4318']);
    await defaulted.shutdown();
  });

  test('the README names the pinned opentelemetry-proto tag', () => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    expect(readme).toContain(`opentelemetry-proto ${OTLP_PROTO_VERSION}`);
  });
});

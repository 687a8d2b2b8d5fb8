import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decodeProfile, encodeProfileSync, runtimeInfo, type NamedProfile } from '@vigil/core';
import { Profile } from 'pprof-format';
import { encodeOtlpRequest, encodeOtlpRequestSync, otlpToPprof, OtlpDecodeError, resourceAttributesFor, tagsFromResource } from '../../src/otlp';
import { MESSAGE_NAMES, otlpType } from '../../src/otlp/profiles-proto';
import { cpuProfile, eventsProfile, fullBatch, heapProfile, lockProfile, wallProfile } from '../helpers/profiles';
import { canonical } from './helpers/canonical';
import { richProfile } from './helpers/rich-profiles';

const resource = { 'service.name': 'web-service', 'process.pid': 4242 };

function allProfiles(): NamedProfile[] {
  return [
    { type: 'wall', profile: wallProfile() },
    { type: 'cpu', profile: cpuProfile() },
    { type: 'space', profile: heapProfile() },
    { type: 'events', profile: eventsProfile() },
    { type: 'lock', profile: lockProfile(), tags: { 'thread id': '3', 'thread name': 'Worker 3' } },
    { type: 'rich', profile: richProfile() },
  ];
}

describe('pprof -> OTLP -> pprof', () => {
  test('keeps every sample, value, stack, label and sample type of every profile, with type, tags and resource', async () => {
    const profiles = allProfiles();
    const bytes = await encodeOtlpRequest({ profiles, resource });
    const decoded = otlpToPprof(bytes);
    expect(decoded.map((d) => d.type)).toEqual(profiles.map((p) => p.type));
    decoded.forEach((d, i) => {
      expect(canonical(d.profile)).toEqual(canonical(profiles[i]!.profile));
      expect(d.tags).toEqual(profiles[i]!.tags ?? {});
      expect(d.resource).toEqual(resource);
      expect(d.scope.name).toBe('vigil');
    });
    // The rich profile really exercises what it claims to (guards against a vacuous comparison).
    const rich = canonical(decoded[5]!.profile);
    expect(rich.samples).toHaveLength(6);
    expect(rich.samples[0]!.stack).toHaveLength(3);
    expect(rich.samples[0]!.stack[1]).toMatchObject({ lines: [{ fn: { name: 'inlinedHelper' }, line: '95', column: '2' }, { fn: { name: 'handleRequest' }, line: '44', column: '9' }] });
    expect(rich.samples[0]!.stack[0]).toMatchObject({ isFolded: true, mapping: { filename: '[v8 jit]', memoryStart: String(0x7f0000000000n) } });
    expect(rich.samples[3]!.values).toEqual(['0', '-5', '9007199254740993']);
    expect(rich.samples[3]!.labels).toContainEqual(['end_timestamp_ns', 'num', '1764093605000000123', '']);
    expect(rich.samples[1]!.labels).toContainEqual(['bytes', 'num', '4096', 'bytes']);
    expect(rich.comments).toEqual(['first comment', 'second: ünïcode ✓']);
    expect(rich.defaultSampleType).toBe('wall');
  });

  test('the sync encoder writes the same request as the async one (profile ids aside)', async () => {
    const profiles = allProfiles();
    const a = otlpToPprof(encodeOtlpRequestSync({ profiles, resource }));
    const b = otlpToPprof(await encodeOtlpRequest({ profiles, resource }));
    expect(a.map((d) => canonical(d.profile))).toEqual(b.map((d) => canonical(d.profile)));
  });

  test('decoded profiles are valid pprof: they survive pprof encoding, and go tool pprof reads them like the originals', async () => {
    const profiles = allProfiles();
    const decoded = otlpToPprof(await encodeOtlpRequest({ profiles, resource }));
    for (const [i, d] of decoded.entries()) {
      // Compared with the original's own pprof round trip: pprof-format reads negative int64s back as uint64.
      expect(canonical(Profile.decode(d.profile.encode()))).toEqual(canonical(Profile.decode(profiles[i]!.profile.encode())));
    }
    const go = spawnSync('go', ['version'], { encoding: 'utf8' });
    if (go.status !== 0) {
      console.warn('go is not installed: skipping the go tool pprof comparison');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'vigil-otlp-pprof-'));
    try {
      for (const [i, d] of decoded.entries()) {
        const original = join(dir, `original-${i}.pprof`);
        const roundTripped = join(dir, `round-tripped-${i}.pprof`);
        writeFileSync(original, encodeProfileSync(profiles[i]!.profile));
        writeFileSync(roundTripped, encodeProfileSync(d.profile));
        for (let sampleIndex = 0; sampleIndex < d.profile.sampleType.length; sampleIndex++) {
          const top = (file: string) => execFileSync('go', ['tool', 'pprof', '-top', '-nodecount=1000', `-sample_index=${sampleIndex}`, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
            .split('\n').filter((line) => !line.startsWith('File:') && !line.startsWith('Time:'));
          const expected = top(original);
          expect(top(roundTripped)).toEqual(expected);
          expect(expected.some((line) => /main|hotLoop|coldPath|handleRequest/.test(line))).toBe(true);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a batch resource maps to the semantic conventions and back to tags', () => {
    const batch = fullBatch();
    const attributes = resourceAttributesFor(batch, {}, {});
    expect(attributes).toMatchObject({
      'service.name': 'web-service',
      'service.version': '2.1.0',
      'deployment.environment.name': 'production',
      'service.instance.id': batch.runtime.runtimeId,
      'process.pid': process.pid,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      team: 'backend',
    });
    expect(Object.keys(attributes)).not.toContain('runtime-id');
    expect(tagsFromResource(attributes)).toMatchObject({ service: 'web-service', version: '2.1.0', env: 'production', 'runtime-id': runtimeInfo().runtimeId, process_id: String(process.pid), team: 'backend' });
  });
});

describe('otlpToPprof on requests from other producers', () => {
  const request = otlpType(MESSAGE_NAMES.request);

  test('one pprof per OTLP profile when samples differ; timestamps-only samples count; links become span id / trace id labels', () => {
    const strings = ['', 'cpu', 'nanoseconds', 'off_cpu', 'fn', 'thread.name', 'worker-1', 'k', 'svc', 'service.name'];
    const bytes = request.encode({
      resourceProfiles: [{
        resource: { attributes: [{ keyStrindex: 9, value: { stringValueStrindex: 8 } }] },
        scopeProfiles: [{
          scope: { name: 'otel-ebpf-profiler', version: '1.0' },
          profiles: [
            { sampleType: { typeStrindex: 1, unitStrindex: 2 }, timeUnixNano: 5, samples: [{ stackIndex: 1, values: [100, 50], attributeIndices: [1], linkIndex: 1 }] },
            { sampleType: { typeStrindex: 3, unitStrindex: 2 }, samples: [{ stackIndex: 1, timestampsUnixNano: [1, 2, 3] }, { stackIndex: 2, values: [7] }] },
          ],
        }],
      }],
      dictionary: {
        stringTable: strings,
        functionTable: [{}, { nameStrindex: 4 }],
        locationTable: [{}, { lines: [{ functionIndex: 1, line: 3 }] }],
        stackTable: [{}, { locationIndices: [1] }, { locationIndices: [1, 1] }],
        attributeTable: [{}, { keyStrindex: 5, value: { stringValueStrindex: 6 } }],
        linkTable: [{ traceId: new Uint8Array(16), spanId: new Uint8Array(8) }, { traceId: Buffer.from('4bf92f3577b34da6a3ce929d0e0e4736', 'hex'), spanId: Buffer.from('00f067aa0ba902b7', 'hex') }],
        mappingTable: [{}],
      },
    }).finish();
    const decoded = otlpToPprof(gzipSync(bytes));
    expect(decoded).toHaveLength(2);
    expect(decoded[0]!.resource).toEqual({ 'service.name': 'svc' });
    expect(decoded[0]!.type).toBe('cpu');
    expect(decoded[1]!.type).toBe('off_cpu');
    const cpu = canonical(decoded[0]!.profile);
    expect(cpu.sampleTypes).toEqual([['cpu', 'nanoseconds']]);
    expect(cpu.timeNanos).toBe('5');
    expect(cpu.samples[0]!.values).toEqual(['150']);
    expect(cpu.samples[0]!.labels).toEqual([
      ['span id', 'str', '00f067aa0ba902b7'],
      ['thread.name', 'str', 'worker-1'],
      ['trace id', 'str', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ]);
    const offCpu = canonical(decoded[1]!.profile);
    expect(offCpu.samples.map((s) => s.values)).toEqual([['3'], ['7']]);
    expect(offCpu.samples[1]!.stack.map((l) => typeof l === 'string' ? l : l.lines[0]!.fn)).toEqual([{ name: 'fn', systemName: '', filename: '', startLine: '0' }, { name: 'fn', systemName: '', filename: '', startLine: '0' }]);
  });

  test('malformed or oversized requests are refused with a clear error', () => {
    expect(() => otlpToPprof(Buffer.from('this is not protobuf at all, no no'))).toThrow(OtlpDecodeError);
    const badIndex = request.encode({
      resourceProfiles: [{ scopeProfiles: [{ profiles: [{ sampleType: { typeStrindex: 0, unitStrindex: 0 }, samples: [{ stackIndex: 9, values: [1] }] }] }] }],
      dictionary: { stringTable: [''], stackTable: [{}] },
    }).finish();
    expect(() => otlpToPprof(badIndex)).toThrow(/stack index 9 is outside the stack table \(1 entries\)/);
    const bomb = gzipSync(Buffer.alloc(2 * 1024 * 1024));
    let error: unknown;
    try {
      otlpToPprof(bomb, { maxDecodedBytes: 1024 * 1024 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect((error as OtlpDecodeError).tooLarge).toBe(true);
    expect(() => otlpToPprof(Buffer.from([0x1f, 0x8b, 1, 2, 3]))).toThrow(/not valid gzip/);
    // An empty request is valid and holds nothing.
    expect(otlpToPprof(new Uint8Array(0))).toEqual([]);
  });

  test('a pprof written by the exporter decodes back from gzip pprof bytes too (decodeProfile interop)', async () => {
    const [d] = otlpToPprof(await encodeOtlpRequest({ profiles: [{ type: 'wall', profile: wallProfile() }], resource }));
    expect(canonical(decodeProfile(encodeProfileSync(d!.profile)))).toEqual(canonical(wallProfile()));
  });
});

// Checks our own protobufjs descriptor against the official OpenTelemetry .proto files of the pinned
// tag, read at test time from a local mirror of open-telemetry/opentelemetry-proto (never copied
// into this repository). Skipped where the mirror is absent (CI): set OTLP_PROTO_MIRROR to a git
// directory of that repository to run it elsewhere.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as protobuf from 'protobufjs';
import { encodeOtlpRequestSync, otlpToPprof } from '../../src/otlp';
import { MESSAGE_NAMES, OTLP_PROTO_VERSION, otlpProfilesRoot, otlpType } from '../../src/otlp/profiles-proto';
import { cpuProfile, eventsProfile, heapProfile, lockProfile, wallProfile } from '../helpers/profiles';
import { canonical } from './helpers/canonical';
import { richProfile } from './helpers/rich-profiles';

const MIRROR = process.env.OTLP_PROTO_MIRROR ?? '/work/.mirror/open-telemetry+opentelemetry-proto/repo';
const FILES = [
  'opentelemetry/proto/common/v1/common.proto',
  'opentelemetry/proto/resource/v1/resource.proto',
  'opentelemetry/proto/profiles/v1development/profiles.proto',
  'opentelemetry/proto/collector/profiles/v1development/profiles_service.proto',
];

function officialFilesAvailable(): boolean {
  if (!existsSync(MIRROR)) return false;
  try {
    execFileSync('git', ['-C', MIRROR, 'rev-parse', '--verify', `${OTLP_PROTO_VERSION}^{commit}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const available = officialFilesAvailable();
if (!available) console.warn(`official opentelemetry-proto files not found at ${MIRROR} (${OTLP_PROTO_VERSION}): skipping the descriptor check`);
const describeWithMirror = available ? describe : describe.skip;

describeWithMirror(`our descriptor against the official opentelemetry-proto ${OTLP_PROTO_VERSION}`, () => {
  let official: protobuf.Root;
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-otlp-proto-'));
    for (const file of FILES) {
      const target = join(dir, file);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, execFileSync('git', ['-C', MIRROR, 'show', `${OTLP_PROTO_VERSION}:${file}`]));
    }
    official = new protobuf.Root();
    official.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(dir, target));
    official.loadSync(FILES.map((f) => join(dir, f)));
    official.resolveAll();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('every message and field we define has the official name, number, type and label', () => {
    const ours = otlpProfilesRoot();
    const checked: string[] = [];
    const omitted: string[] = [];
    const visit = (ns: protobuf.NamespaceBase) => {
      for (const nested of ns.nestedArray) {
        if (nested instanceof protobuf.Type) {
          const theirs = official.lookupType(nested.fullName);
          for (const field of nested.fieldsArray) {
            const match = theirs.fieldsById[field.id];
            expect({ message: nested.fullName, id: field.id, name: match?.name, type: match?.resolvedType?.fullName ?? match?.type, repeated: match?.repeated, oneof: match?.partOf?.name })
              .toEqual({ message: nested.fullName, id: field.id, name: field.name, type: field.resolvedType?.fullName ?? field.type, repeated: field.repeated, oneof: field.partOf?.name });
            checked.push(`${nested.fullName}.${field.name}`);
          }
          for (const field of theirs.fieldsArray) if (!nested.fieldsById[field.id]) omitted.push(`${theirs.fullName}.${field.name}`);
        }
        if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) visit(nested);
      }
    };
    visit(ours);
    expect(checked.length).toBeGreaterThan(60);
    // What we leave out on purpose (decoding skips unknown fields).
    expect(omitted).toEqual(['.opentelemetry.proto.resource.v1.Resource.entityRefs']);
  });

  test('bytes we encode decode to the same content with the official definition, and re-encode to the same bytes', () => {
    const bytes = encodeOtlpRequestSync({
      profiles: [
        { type: 'wall', profile: wallProfile() },
        { type: 'cpu', profile: cpuProfile() },
        { type: 'space', profile: heapProfile() },
        { type: 'events', profile: eventsProfile() },
        { type: 'lock', profile: lockProfile(), tags: { 'thread id': '2' } },
        { type: 'rich', profile: richProfile() },
      ],
      resource: { 'service.name': 'svc', 'process.pid': 12, ratio: 0.5, flags: [1, 2], ok: true },
    });
    const theirType = official.lookupType(MESSAGE_NAMES.request);
    const ourType = otlpType(MESSAGE_NAMES.request);
    const options = { longs: String, bytes: String, defaults: false, arrays: true, oneofs: true };
    const theirs = theirType.toObject(theirType.decode(bytes), options) as { resourceProfiles: Array<{ resource: Record<string, unknown> }> };
    const ours = ourType.toObject(ourType.decode(bytes), options);
    // Resource has a field we do not model (entity_refs), which we never write: it decodes empty.
    expect(theirs.resourceProfiles[0]!.resource.entityRefs).toEqual([]);
    delete theirs.resourceProfiles[0]!.resource.entityRefs;
    expect(theirs).toEqual(ours);
    expect(JSON.stringify(theirs)).toContain('pprof.scope.sample_type_order');
    expect(Buffer.compare(Buffer.from(theirType.encode(theirType.decode(bytes)).finish()), Buffer.from(bytes))).toBe(0);
  });

  test('bytes the official definition encodes (fields we never write included) decode with ours and convert to pprof', () => {
    const theirType = official.lookupType(MESSAGE_NAMES.request);
    const message = theirType.fromObject({
      resourceProfiles: [{
        resource: {
          attributes: [{ key: 'service.name', value: { stringValue: 'foreign' } }, { keyStrindex: 5, value: { intValue: '77' } }],
          entityRefs: [{ type: 'service', idKeys: ['service.name'] }],
        },
        scopeProfiles: [{
          scope: { name: 'other-profiler', version: '9' },
          schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
          profiles: [{
            sampleType: { typeStrindex: 1, unitStrindex: 2 },
            periodType: { typeStrindex: 1, unitStrindex: 2 },
            period: '10000000',
            timeUnixNano: '1764093600000000000',
            durationNano: '1000000000',
            profileId: Buffer.alloc(16, 7).toString('base64'),
            originalPayloadFormat: 'pprof',
            originalPayload: Buffer.from('ignored').toString('base64'),
            samples: [{ stackIndex: 1, values: ['20000000'], attributeIndices: [1], linkIndex: 1, timestampsUnixNano: ['1764093600500000000'] }],
          }],
        }],
      }],
      dictionary: {
        stringTable: ['', 'cpu', 'nanoseconds', 'work', '/src/work.js', 'process.pid', 'span.kind', 'server'],
        functionTable: [{}, { nameStrindex: 3, filenameStrindex: 4, startLine: '10' }],
        locationTable: [{}, { address: '4096', lines: [{ functionIndex: 1, line: '12', column: '4' }] }],
        stackTable: [{}, { locationIndices: [1] }],
        attributeTable: [{}, { keyStrindex: 6, value: { stringValue: 'server' } }],
        linkTable: [{ traceId: Buffer.alloc(16).toString('base64'), spanId: Buffer.alloc(8).toString('base64') }, { traceId: Buffer.alloc(16, 0xab).toString('base64'), spanId: Buffer.alloc(8, 0xcd).toString('base64') }],
        mappingTable: [{}],
      },
    });
    const bytes = theirType.encode(message).finish();
    const ourType = otlpType(MESSAGE_NAMES.request);
    const options = { longs: String, bytes: String, defaults: false, arrays: true };
    const theirs = theirType.toObject(theirType.decode(bytes), options) as { resourceProfiles: Array<{ resource: Record<string, unknown> }> };
    delete theirs.resourceProfiles[0]!.resource.entityRefs;
    expect(ourType.toObject(ourType.decode(bytes), options)).toEqual(theirs);

    const [decoded] = otlpToPprof(bytes);
    expect(decoded!.resource).toEqual({ 'service.name': 'foreign', 'process.pid': 77 });
    const c = canonical(decoded!.profile);
    expect(c.sampleTypes).toEqual([['cpu', 'nanoseconds']]);
    expect(c.periodType).toEqual(['cpu', 'nanoseconds']);
    expect(c.timeNanos).toBe('1764093600000000000');
    expect(c.samples).toEqual([{
      stack: [{ mapping: null, address: '4096', isFolded: false, lines: [{ fn: { name: 'work', systemName: '', filename: '/src/work.js', startLine: '10' }, line: '12', column: '4' }] }],
      values: ['20000000'],
      labels: [['span id', 'str', 'cd'.repeat(8)], ['span.kind', 'str', 'server'], ['trace id', 'str', 'ab'.repeat(16)]],
    }]);
  });
});

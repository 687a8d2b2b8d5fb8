import { Function as PprofFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import type { Profile as PprofProfile } from '@vigil/core';

/**
 * A pprof profile that uses every field the OTLP mapping has to carry: mappings with build ids and
 * has_* flags, addresses, inlined frames (several lines per location), columns, start lines, folded
 * locations, string and numeric labels (with units), span ids in both formats, 64-bit values,
 * negative and zero values, an empty stack, repeated stacks, comments, drop/keep frames, doc url
 * and a default sample type.
 */
export function richProfile(): PprofProfile {
  const st = new StringTable();
  const s = (text: string) => st.dedup(text);
  const mapping = [
    new Mapping({ id: 1, memoryStart: 0x400000, memoryLimit: 0x500000, fileOffset: 0x1000, filename: s('/usr/bin/node'), buildId: s('abcdef0123'), hasFunctions: true, hasFilenames: true, hasLineNumbers: true, hasInlineFrames: false }),
    new Mapping({ id: 7, memoryStart: 0x7f0000000000n, memoryLimit: 0x7f0000100000n, fileOffset: 0, filename: s('[v8 jit]') }),
  ];
  const fn = [
    new PprofFunction({ id: 10, name: s('main'), systemName: s('main'), filename: s('/app/index.js'), startLine: 1 }),
    new PprofFunction({ id: 11, name: s('handleRequest'), systemName: s('handleRequest'), filename: s('/app/server.js'), startLine: 40 }),
    new PprofFunction({ id: 12, name: s('JSON.parse'), systemName: s('(builtin) JSON.parse'), filename: s(''), startLine: 0 }),
    new PprofFunction({ id: 13, name: s('inlinedHelper'), systemName: s('inlinedHelper'), filename: s('/app/server.js'), startLine: 90 }),
    new PprofFunction({ id: 14, name: s('<anonymous> & "quoted"'), systemName: s(''), filename: s('/app/weird name.js'), startLine: 3 }),
  ];
  const location = [
    new Location({ id: 100, mappingId: 1, address: 0x401234, line: [new Line({ functionId: 10, line: 12, column: 5 })] }),
    new Location({ id: 101, mappingId: 1, address: 0x402000, line: [new Line({ functionId: 13, line: 95, column: 2 }), new Line({ functionId: 11, line: 44, column: 9 })] }),
    new Location({ id: 102, mappingId: 7, address: 0x7f0000000123n, line: [new Line({ functionId: 12, line: 0 })], isFolded: true }),
    new Location({ id: 103, mappingId: 0, address: 0, line: [new Line({ functionId: 14, line: 7, column: 1 })] }),
  ];
  const label = (key: string, value: string | number | bigint, unit?: string) => typeof value === 'string'
    ? new Label({ key: s(key), str: s(value) })
    : new Label({ key: s(key), num: value, numUnit: unit ? s(unit) : 0 });
  const sample = [
    new Sample({ locationId: [102, 101, 100], value: [3, 30_000_000, 12_345], label: [label('span id', '1234567890123456789'), label('local root span id', '987654321'), label('trace endpoint', 'GET /users/:id'), label('thread id', '0')] }),
    new Sample({ locationId: [101, 100], value: [1, 10_000_000, 0], label: [label('span id', '00f067aa0ba902b7'), label('bytes', 4096, 'bytes')] }),
    // Same stack and labels as the first one: pprof allows it, the mapping must keep both.
    new Sample({ locationId: [102, 101, 100], value: [2, 20_000_000, 1], label: [label('span id', '1234567890123456789'), label('local root span id', '987654321'), label('trace endpoint', 'GET /users/:id'), label('thread id', '0')] }),
    new Sample({ locationId: [103, 100], value: [0, -5, 9_007_199_254_740_993n], label: [label('end_timestamp_ns', 1_764_093_605_000_000_123n), label('event', 'gc')] }),
    new Sample({ locationId: [], value: [1, 1, 1], label: [] }),
    new Sample({ locationId: [100], value: [7, 70_000_000, 2], label: [label('count', -3)] }),
  ];
  return new Profile({
    sampleType: [new ValueType({ type: s('sample'), unit: s('count') }), new ValueType({ type: s('wall'), unit: s('nanoseconds') }), new ValueType({ type: s('custom'), unit: s('widgets') })],
    sample,
    mapping,
    location,
    function: fn,
    stringTable: st,
    dropFrames: s('^runtime\\.'),
    keepFrames: s('^main$'),
    timeNanos: 1_764_093_600_123_456_789n,
    durationNanos: 60_000_000_000,
    periodType: new ValueType({ type: s('wall'), unit: s('nanoseconds') }),
    period: 10_101_010,
    comment: [s('first comment'), s('second: ünïcode ✓')],
    defaultSampleType: s('wall'),
    docUrl: s('https://example.com/profiles/wall'),
  });
}

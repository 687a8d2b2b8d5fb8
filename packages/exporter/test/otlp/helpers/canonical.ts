import type { Profile } from '@vigil/core';

/**
 * A pprof profile with every id and string index resolved, so two profiles that say the same
 * thing compare equal however their tables are numbered. Numbers become decimal strings (pprof-format
 * gives number or bigint for the same value).
 */
export function canonical(p: Profile) {
  const str = (i: number | bigint) => p.stringTable.strings[Number(i)] ?? `<bad string ${i}>`;
  const num = (v: number | bigint) => BigInt(v).toString();
  const functions = new Map(p.function.map((f) => [String(f.id), f]));
  const mappings = new Map(p.mapping.map((m) => [String(m.id), m]));
  const locations = new Map(p.location.map((l) => [String(l.id), l]));
  const mapping = (id: number | bigint) => {
    if (Number(id) === 0) return null;
    const m = mappings.get(String(id));
    if (!m) return `<missing mapping ${id}>`;
    return {
      memoryStart: num(m.memoryStart), memoryLimit: num(m.memoryLimit), fileOffset: num(m.fileOffset), filename: str(m.filename), buildId: str(m.buildId),
      hasFunctions: m.hasFunctions, hasFilenames: m.hasFilenames, hasLineNumbers: m.hasLineNumbers, hasInlineFrames: m.hasInlineFrames,
    };
  };
  const fn = (id: number | bigint) => {
    if (Number(id) === 0) return null;
    const f = functions.get(String(id));
    if (!f) return `<missing function ${id}>`;
    return { name: str(f.name), systemName: str(f.systemName), filename: str(f.filename), startLine: num(f.startLine) };
  };
  const location = (id: number | bigint) => {
    const l = locations.get(String(id));
    if (!l) return `<missing location ${id}>`;
    return { mapping: mapping(l.mappingId), address: num(l.address), isFolded: l.isFolded, lines: l.line.map((line) => ({ fn: fn(line.functionId), line: num(line.line), column: num(line.column) })) };
  };
  return {
    sampleTypes: p.sampleType.map((vt) => [str(vt.type), str(vt.unit)]),
    periodType: p.periodType ? [str(p.periodType.type), str(p.periodType.unit)] : null,
    period: num(p.period),
    timeNanos: num(p.timeNanos),
    durationNanos: num(p.durationNanos),
    comments: p.comment.map(str),
    dropFrames: str(p.dropFrames),
    keepFrames: str(p.keepFrames),
    docUrl: str(p.docUrl),
    defaultSampleType: str(p.defaultSampleType),
    samples: p.sample.map((s) => ({
      stack: s.locationId.map(location),
      values: s.value.map(num),
      labels: s.label
        .map((l) => (Number(l.str) !== 0 ? [str(l.key), 'str', str(l.str)] : [str(l.key), 'num', num(l.num), str(l.numUnit)]))
        .sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    })),
  };
}

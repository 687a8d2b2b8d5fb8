import type { Profile } from 'pprof-format';

/**
 * The one name every Vigil profile gives a function without a name, whichever collector saw it:
 * `(anonymous <file name>:<line>)`, where the line is the one the function starts on in the file
 * shown beside it (after source maps); `(anonymous <file name>)` when the collector cannot know
 * where the function starts (stacks read from `Error.stack` give the line being run, not the
 * function's); `(anonymous)` without a file. Distinct anonymous functions stay apart in the
 * flame graph, and the name reads the same in CPU, wall, heap, lock and I/O-wait profiles.
 */
export function anonymousFunctionName(file: string | undefined, functionStartLine?: number): string {
  if (!file) return '(anonymous)';
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  const base = slash >= 0 ? file.slice(slash + 1) : file;
  return functionStartLine && functionStartLine > 0 ? `(anonymous ${base}:${functionStartLine})` : `(anonymous ${base})`;
}

/** V8's heap profiler (through @datadog/pprof) names them `(anonymous:L#<line>:C#<column>)`. */
const HEAP_PROFILER_ANONYMOUS = /^\(anonymous:L#(\d+):C#\d+\)$/;

/** Whether a name is one of the ways runtimes and tools spell "no name". */
export function isAnonymousName(name: string): boolean {
  return name === '' || name === '(anonymous)' || name === '<anonymous>' || HEAP_PROFILER_ANONYMOUS.test(name) || /^\(anonymous [^)]*\)$/.test(name);
}

/**
 * Renames a profile's unnamed functions by {@link anonymousFunctionName}, in place: for profiles
 * made by code Vigil does not own (the heap profiler's `(anonymous:L#15:C#155)`). Returns the profile.
 */
export function nameAnonymousFunctions(profile: Profile): Profile {
  const strings = profile.stringTable;
  for (const fn of profile.function) {
    const name = strings.strings[Number(fn.name)] ?? '';
    if (!isAnonymousName(name) || /^\(anonymous [^)]*\)$/.test(name)) continue;
    const file = strings.strings[Number(fn.filename)] ?? '';
    const line = HEAP_PROFILER_ANONYMOUS.exec(name)?.[1] ?? fn.startLine;
    const renamed = strings.dedup(anonymousFunctionName(file, Number(line)));
    fn.name = renamed;
    fn.systemName = renamed;
  }
  return profile;
}

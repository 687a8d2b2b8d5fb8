import { fileURLToPath } from 'node:url';

/** A frame of the stack that issued an operation; `line`/`column` are those of the call (1-based). */
export interface IssuingFrame {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

type StackHolder = { stack?: NodeJS.CallSite[] | string };

/**
 * The JavaScript stack of the caller of `above` (excluded, with everything above it), leaf first,
 * without Node's internal frames at the leaf end (the operation's name says what they did).
 * Structured CallSites are read through a temporary `Error.prepareStackTrace`, restored before
 * returning, so no stack string is formatted or parsed.
 */
export function captureIssuingStack(above: Function, maxFrames: number): IssuingFrame[] {
  const previousLimit = Error.stackTraceLimit;
  const previousPrepare = Error.prepareStackTrace;
  const holder: StackHolder = {};
  let sites: NodeJS.CallSite[] | undefined;
  try {
    Error.stackTraceLimit = maxFrames;
    Error.prepareStackTrace = (_error, callSites) => callSites;
    Error.captureStackTrace(holder, above);
    sites = Array.isArray(holder.stack) ? holder.stack : undefined;
  } finally {
    Error.prepareStackTrace = previousPrepare;
    Error.stackTraceLimit = previousLimit;
  }
  if (!sites) return [];
  const frames: IssuingFrame[] = [];
  for (const site of sites) {
    const file = fileOf(site);
    if (frames.length === 0 && (file.startsWith('node:') || file === '')) continue;
    frames.push({ name: nameOf(site), file, line: site.getLineNumber() ?? 0, column: site.getColumnNumber() ?? 0 });
  }
  return frames;
}

function fileOf(site: NodeJS.CallSite): string {
  const file = site.getFileName() ?? site.getScriptNameOrSourceURL?.() ?? '';
  if (file.startsWith('file://')) {
    try {
      return fileURLToPath(file);
    } catch {
      return file;
    }
  }
  return file;
}

function nameOf(site: NodeJS.CallSite): string {
  const fn = site.getFunctionName();
  if (fn) return fn;
  const method = site.getMethodName();
  if (method) {
    const type = site.getTypeName();
    return type ? `${type}.${method}` : method;
  }
  return '(anonymous)';
}

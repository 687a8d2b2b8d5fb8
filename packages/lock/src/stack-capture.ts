import { fileURLToPath } from 'node:url';
import { anonymousFunctionName, type Frame } from '@vigil/core';

/**
 * Stack capture for sampled lock events, without any native addon. We let V8 format the stack
 * (`error.stack`) rather than reading structured call sites: Node applies source maps
 * (`--enable-source-maps`, tsx, source-map-support) only on the formatted path, and users expect
 * the lines of the code they wrote. Frames that belong to this package or to an instrumented lock
 * library are dropped so the stack starts at the user's code that asked for the lock.
 */

const V8_FRAME = /^\s*at (?:async )?(?:(.*?) \((.*)\)|(.*))$/;
const LOCATION = /^(.*?):(\d+):(\d+)$/;

/** Directory of this package's code (src/ when run from sources, dist/ when built). */
export const OWN_DIR = ownDirectory();

const internalDirs: string[] = OWN_DIR ? [OWN_DIR] : [];

/** Treats frames under `dir` as internal (an instrumented library's own code). */
export function addInternalDirectory(dir: string): void {
  if (dir && !internalDirs.includes(dir)) internalDirs.push(dir);
}

function isInternal(file: string): boolean {
  for (const dir of internalDirs) if (file.startsWith(dir)) return true;
  return false;
}

/** A captured stack: frames leaf first, plus a short key that identifies it. */
export interface CapturedStack {
  readonly frames: Frame[];
  readonly key: string;
}

const EMPTY: CapturedStack = { frames: [{ name: '(unknown)' }], key: 's0' };

/**
 * Parsed stacks by their text. Lock calls repeat from a handful of call sites, so parsing (and
 * turning file URLs into paths) is done once per distinct stack; bounded, oldest dropped first.
 */
const MAX_CACHED_STACKS = 4_096;
const parsedStacks = new Map<string, CapturedStack>();
let nextStackId = 1;

/**
 * Captures up to `maxDepth` user frames of the current stack, skipping frames above `skip` and
 * frames of internal directories. Never throws.
 */
export function captureStack(maxDepth: number, skip?: Function): CapturedStack {
  let text: string | undefined;
  const previousLimit = Error.stackTraceLimit;
  try {
    // Room for the internal frames we drop (ours, the lock library's, promise plumbing).
    Error.stackTraceLimit = maxDepth + 8;
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, skip ?? captureStack);
    text = holder.stack;
  } catch {
    text = undefined;
  } finally {
    Error.stackTraceLimit = previousLimit;
  }
  if (typeof text !== 'string') return EMPTY;
  const cacheKey = `${maxDepth}\u0000${text}`;
  const cached = parsedStacks.get(cacheKey);
  if (cached) return cached;
  const frames = parseStack(text, maxDepth);
  const stack = frames.length === 0 ? EMPTY : { frames, key: `s${nextStackId++}` };
  if (parsedStacks.size >= MAX_CACHED_STACKS) parsedStacks.delete(parsedStacks.keys().next().value!);
  parsedStacks.set(cacheKey, stack);
  return stack;
}

/** The first user frame (file and line) of the current stack: where a lock is being created. */
export function captureCallerSite(skip?: Function): Frame | undefined {
  const { frames } = captureStack(1, skip ?? captureCallerSite);
  const frame = frames[0];
  return frame && frame.file ? frame : undefined;
}

/** Parses V8's formatted stack, dropping the message line and internal frames. */
export function parseStack(text: string, maxDepth: number): Frame[] {
  const frames: Frame[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && frames.length < maxDepth; i++) {
    const frame = parseFrame(lines[i]!);
    if (!frame) continue;
    if (frame.file && isInternal(frame.file)) continue;
    // Builtins the lock library called (`new Promise`, `Generator.next`) are not the user's code either.
    if (frames.length === 0 && !frame.file) continue;
    frames.push(frame);
  }
  return frames;
}

function parseFrame(line: string): Frame | undefined {
  const match = V8_FRAME.exec(line);
  if (!match) return undefined;
  const name = match[1];
  const where = match[2] ?? match[3] ?? '';
  const location = LOCATION.exec(where);
  if (!location) {
    // `at fn (native)`, `at <anonymous>`: a frame without a position.
    return { name: name || (where && where !== '<anonymous>' ? where : '(anonymous)') };
  }
  let file = location[1]!;
  if (file.startsWith('data:')) {
    // Code evaluated from a data: URL (some loaders do this): the URL is the whole source.
    file = '<data URL>';
  } else if (file.startsWith('file://')) {
    try {
      file = fileURLToPath(file);
    } catch {
      // keep the URL as it is
    }
  }
  // `<anonymous>` alone reads as an empty name to go tool pprof (it drops <...> as C++ template arguments).
  return { name: !name || name === '<anonymous>' ? anonymousFunctionName(file) : name, file, line: Number(location[2]) };
}

function ownDirectory(): string | undefined {
  const holder: { stack?: string } = {};
  const previousLimit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 1;
    Error.captureStackTrace(holder);
  } finally {
    Error.stackTraceLimit = previousLimit;
  }
  const first = typeof holder.stack === 'string' ? holder.stack.split('\n').map(parseFrame).find((f) => f?.file) : undefined;
  if (!first?.file) return undefined;
  const slash = Math.max(first.file.lastIndexOf('/'), first.file.lastIndexOf('\\'));
  return slash > 0 ? first.file.slice(0, slash + 1) : undefined;
}

import type { Frame } from '@vigil/core';

/**
 * Vigil's own code, installed (`node_modules/@vigil/...`) or in this repository
 * (`packages/<name>/dist|src`), and the libraries only Vigil calls in a profiled app (pprof
 * encoding, Datadog's native profiler). Its work shows in the app's profiles because it runs in the
 * app's process; the UI marks it (and everything it calls) rather than hide the cost.
 */
const VIGIL_FILE = /[\\/]node_modules[\\/](?:@vigil[\\/]|pprof-format[\\/]|@datadog[\\/]pprof[\\/])|[\\/]packages[\\/](?:core|cpu|wall|heap|lock|exporter|tracing-correlation|v8-sampler|profiler)[\\/](?:dist|src)[\\/]/;

/** Whether a frame is Vigil's own code (see {@link VIGIL_FILE}). */
export function isVigilFrame(frame: Frame): boolean {
  return frame.file !== undefined && frame.file !== '' && VIGIL_FILE.test(frame.file);
}

const cache = new WeakMap<Frame, boolean>();

/** {@link isVigilFrame}, memoized per frame object (the walk reuses one object per location). */
export function isVigilFrameCached(frame: Frame): boolean {
  let known = cache.get(frame);
  if (known === undefined) cache.set(frame, (known = isVigilFrame(frame)));
  return known;
}

/** App code: a file of its own, outside Node's internals and node_modules (a callback Vigil's wrappers run). */
function isAppFrame(frame: Frame): boolean {
  const file = frame.file ?? '';
  return file !== '' && !file.startsWith('node:') && !/[\\/]node_modules[\\/]/.test(file) && !isVigilFrameCached(frame);
}

const appCache = new WeakMap<Frame, boolean>();

/**
 * Which frames of a stack (leaf first) are Vigil's work: a Vigil frame, and what it calls in Node
 * or in libraries (the source-map parser, fs calls of the file exporter), until it calls back into
 * the app (a request handler under Vigil's span-label wrapper is the app's, not Vigil's).
 * Undefined when no frame is Vigil's, the common case.
 */
export function vigilFrames(stackLeafFirst: readonly Frame[]): boolean[] | undefined {
  let flags: boolean[] | undefined;
  let inVigil = false;
  for (let i = stackLeafFirst.length - 1; i >= 0; i--) {
    const frame = stackLeafFirst[i]!;
    if (isVigilFrameCached(frame)) inVigil = true;
    else if (inVigil) {
      let app = appCache.get(frame);
      if (app === undefined) appCache.set(frame, (app = isAppFrame(frame)));
      if (app) inVigil = false;
    }
    if (inVigil) (flags ??= new Array<boolean>(stackLeafFirst.length).fill(false))[i] = true;
  }
  return flags;
}

import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A frame position as V8 reports it: 1-based line and column in the generated file. */
export interface GeneratedPosition {
  file: string;
  line: number;
  column: number;
}

/** Where a generated position came from, per the file's source map. */
export interface OriginalPosition {
  file: string;
  line: number;
  name?: string;
}

interface LoadedMap {
  map: SourceMap;
  mapDir: string;
  sourceRoot: string;
  /** Estimated heap cost, for the cache budget. */
  costBytes: number;
}

/** Bytes read from the end of a script to find its `sourceMappingURL` comment. */
const ANNOTATION_TAIL_BYTES = 4096;
/** Parsed source maps cost several times their JSON size in memory. */
const PARSED_MAP_COST_FACTOR = 4;
/** Files known to have no usable map; a bounded set so a process with many scripts stays bounded. */
const MAX_NEGATIVE_ENTRIES = 10_000;
const SCRIPT_EXTENSION = /\.(c|m)?js$/;
const ANNOTATION = /\/\/[#@]\s*sourceMappingURL=\s*(\S+)\s*$/;

/**
 * Maps generated positions (`dist/index.js:1:18812`) to original ones (`src/orders.ts:42`) using
 * the files' source maps, loaded lazily the first time a file shows up in a profile and kept in
 * an LRU cache bounded by `maxCacheBytes`; an evicted map is reloaded when needed again.
 */
/** Source map files read at once by `prepare`. */
const MAX_PARALLEL_MAP_READS = 8;

export class SourceMapResolver {
  private readonly cache = new Map<string, LoadedMap>();
  private readonly withoutMap = new Set<string>();
  private cachedBytes = 0;

  constructor(private readonly maxCacheBytes: number) {}

  /** Loads (asynchronously) the maps of the given script files that are not cached yet. */
  async prepare(files: Iterable<string>): Promise<void> {
    const pending = [...new Set(this.uncached(files))];
    // Several reads at a time: each one waits for a turn of the event loop, which in a busy app is
    // one of its synchronous chunks, so reading the maps one after another starved the period's
    // export (issue 15, item 6). Bounded, because one map can be megabytes; remembered in the
    // order asked, so the LRU cache keeps the same maps whatever order the reads finish in.
    for (let first = 0; first < pending.length; first += MAX_PARALLEL_MAP_READS) {
      const batch = pending.slice(first, first + MAX_PARALLEL_MAP_READS);
      const loaded = await Promise.all(batch.map((file) => loadMapAsync(file).catch(() => undefined)));
      batch.forEach((file, i) => this.remember(file, loaded[i]));
    }
  }

  /** Same as `prepare`, blocking: for the exit path, where no asynchronous work can run. */
  prepareSync(files: Iterable<string>): void {
    for (const file of this.uncached(files)) {
      try {
        this.remember(file, loadMapSync(file));
      } catch {
        this.remember(file, undefined);
      }
    }
  }

  /** The original position of a generated one, from cached maps only; undefined when unknown. */
  resolve(position: GeneratedPosition): OriginalPosition | undefined {
    const loaded = this.cache.get(position.file);
    if (!loaded || position.line <= 0) return undefined;
    // Refresh the LRU order.
    this.cache.delete(position.file);
    this.cache.set(position.file, loaded);
    const origin = loaded.map.findOrigin(position.line, Math.max(1, position.column));
    if (!('fileName' in origin) || !origin.fileName) return undefined;
    return {
      file: resolveSource(loaded.mapDir, loaded.sourceRoot, origin.fileName),
      line: origin.lineNumber,
      name: origin.name || undefined,
    };
  }

  /** Bytes the cached maps are estimated to use. */
  get cacheBytes(): number {
    return this.cachedBytes;
  }

  private uncached(files: Iterable<string>): string[] {
    const out: string[] = [];
    for (const file of files) {
      if (!this.cache.has(file) && !this.withoutMap.has(file) && isMappableScript(file)) out.push(file);
    }
    return out;
  }

  private remember(file: string, loaded: LoadedMap | undefined): void {
    if (!loaded || loaded.costBytes > this.maxCacheBytes) {
      if (this.withoutMap.size >= MAX_NEGATIVE_ENTRIES) this.withoutMap.clear();
      this.withoutMap.add(file);
      return;
    }
    this.cache.set(file, loaded);
    this.cachedBytes += loaded.costBytes;
    for (const [key, entry] of this.cache) {
      if (this.cachedBytes <= this.maxCacheBytes) break;
      this.cache.delete(key);
      this.cachedBytes -= entry.costBytes;
    }
  }
}

/** Only real script files on disk can have maps; `node:` internals and eval'd code cannot. */
function isMappableScript(file: string): boolean {
  return isAbsolute(file) && SCRIPT_EXTENSION.test(file) && !isVigilScript(file);
}

/** An installed Vigil package's build output (pnpm's store layout included). */
const INSTALLED_VIGIL_BUILD = /[\\/]node_modules[\\/]@vigil[\\/][^\\/]+[\\/]dist[\\/]/;
/**
 * The folder holding this package and its sibling Vigil packages (the workspace's `packages/`);
 * undefined when this code was bundled into an app, whose own folders must never be skipped.
 */
const VIGIL_PACKAGES_DIR = typeof __dirname === 'string' && basename(resolve(__dirname, '..')) === 'v8-sampler' ? resolve(__dirname, '..', '..') : undefined;

/**
 * The profiler's own frames keep their built names: mapping them read and parsed the maps of
 * Vigil's bundles at every exit (5 ms of a 60 ms start-up, measured) and kept them in memory, for
 * frames that show the profiler's own work, not the app's.
 */
function isVigilScript(file: string): boolean {
  if (INSTALLED_VIGIL_BUILD.test(file)) return true;
  if (!VIGIL_PACKAGES_DIR || !file.startsWith(VIGIL_PACKAGES_DIR)) return false;
  return /^[\\/][^\\/]+[\\/]dist[\\/]/.test(file.slice(VIGIL_PACKAGES_DIR.length));
}

function resolveSource(mapDir: string, sourceRoot: string, source: string): string {
  if (source.startsWith('file://')) return fileURLToPath(source);
  // Bundlers write `webpack://app/./src/x.ts`; what follows the namespace is relative to the project.
  const withoutScheme = source.replace(/^webpack:\/\/[^/]*\//, '');
  if (isAbsolute(withoutScheme)) return withoutScheme;
  return resolve(mapDir, sourceRoot, withoutScheme);
}

function makeLoaded(json: string, mapDir: string): LoadedMap {
  const payload = JSON.parse(json) as { sourceRoot?: string; sections?: unknown };
  return {
    map: new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]),
    mapDir,
    sourceRoot: typeof payload.sourceRoot === 'string' && !payload.sourceRoot.includes('://') ? payload.sourceRoot : '',
    costBytes: json.length * PARSED_MAP_COST_FACTOR,
  };
}

/** The map location for a script: its `sourceMappingURL` (inline or a file), else `<script>.map`. */
function mapLocation(file: string, tail: string): { inline: string } | { path: string } | undefined {
  const lines = tail.trimEnd().split('\n');
  const match = ANNOTATION.exec(lines[lines.length - 1] ?? '');
  if (match) {
    const url = match[1]!;
    if (url.startsWith('data:')) {
      const comma = url.indexOf(',');
      const meta = url.slice(5, comma);
      const data = url.slice(comma + 1);
      return { inline: meta.endsWith(';base64') ? Buffer.from(data, 'base64').toString('utf8') : decodeURIComponent(data) };
    }
    const path = url.startsWith('file://') ? fileURLToPath(url) : resolve(dirname(file), decodeURIComponent(url));
    return { path };
  }
  return existsSync(`${file}.map`) ? { path: `${file}.map` } : undefined;
}

function readTailSync(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    // An inline map is one very long last line: read it all when it does not fit the tail.
    const length = Math.min(size, ANNOTATION_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const tail = buffer.toString('utf8');
    // An inline map is one very long last line that starts before the tail: read the whole file.
    const lastLine = tail.trimEnd().split('\n').pop() ?? '';
    if (size > length && lastLine.length === tail.trimEnd().length && !lastLine.includes('sourceMappingURL=')) {
      return readFileSync(file, 'utf8');
    }
    return tail;
  } finally {
    closeSync(fd);
  }
}

function loadMapSync(file: string): LoadedMap | undefined {
  const location = mapLocation(file, readTailSync(file));
  if (!location) return undefined;
  if ('inline' in location) return makeLoaded(location.inline, dirname(file));
  return makeLoaded(readFileSync(location.path, 'utf8'), dirname(location.path));
}

async function loadMapAsync(file: string): Promise<LoadedMap | undefined> {
  // The tail read is tiny; the map itself (possibly megabytes) is read without blocking.
  const location = mapLocation(file, readTailSync(file));
  if (!location) return undefined;
  if ('inline' in location) return makeLoaded(location.inline, dirname(file));
  // fs/promises (with readline and streams) is loaded here, on the first source map read, not at start-up.
  const { readFile } = process.getBuiltinModule('node:fs/promises');
  return makeLoaded(await readFile(location.path, 'utf8'), dirname(location.path));
}

import Module, { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { instrumentAsyncLock } from './instrument-async-lock';
import { instrumentAsyncMutex } from './instrument-async-mutex';
import { instrumentWebLocks } from './instrument-web-locks';
import { hookRequire, packageDirectory } from './require-hook';
import { addInternalDirectory, OWN_DIR } from './stack-capture';

/** Which libraries to instrument; each defaults to true. */
export interface InstrumentationOptions {
  asyncMutex?: boolean;
  asyncLock?: boolean;
  webLocks?: boolean;
}

export interface InstrumentationProblem {
  library: string;
  message: string;
}

/** A library instrumented wherever it loads from. */
interface WatchedLibrary {
  readonly name: string;
  /** Packages its code runs through (tslib's __awaiter for async-mutex's CommonJS build): their frames are the library's too. */
  readonly helpers: readonly string[];
  readonly instrument: (exported: unknown) => void;
  importHooked: boolean;
}

interface InstalledState {
  asyncMutex: boolean;
  asyncLock: boolean;
  webLocks: boolean;
  libraries: WatchedLibrary[];
  /** True once import-in-the-middle's loader is registered (see register-esm.ts): only then do its hooks see anything. */
  importHooks: boolean;
}

const STATE_KEY = Symbol.for('vigil.lock.instrumentation.v2');

function installed(): InstalledState {
  const holder = globalThis as unknown as Record<symbol, InstalledState | undefined>;
  return (holder[STATE_KEY] ??= { asyncMutex: false, asyncLock: false, webLocks: false, libraries: [], importHooks: false });
}

/**
 * Instruments the lock libraries the application uses, for `require` (see require-hook.ts) and
 * `import` (import-in-the-middle; needs its loader, see `registerLockEsmHooks`), plus copies that
 * were loaded already. Idempotent and process-wide. The patched code only records while a lock
 * collector runs; otherwise it costs a counter check per acquire.
 */
export function installLockInstrumentation(options: InstrumentationOptions = {}): InstrumentationProblem[] {
  const state = installed();
  const problems: InstrumentationProblem[] = [];
  const attempt = (library: string, work: () => void): void => {
    try {
      work();
    } catch (error) {
      problems.push({ library, message: error instanceof Error ? error.message : String(error) });
    }
  };

  if (options.asyncMutex !== false && !state.asyncMutex) {
    state.asyncMutex = true;
    attempt('async-mutex', () => watchLibrary(state, 'async-mutex', ['tslib'], (exported) => {
      instrumentAsyncMutex(exported as Parameters<typeof instrumentAsyncMutex>[0]);
    }));
  }
  if (options.asyncLock !== false && !state.asyncLock) {
    state.asyncLock = true;
    attempt('async-lock', () => watchLibrary(state, 'async-lock', [], (exported) => {
      // CommonJS: the exports are the constructor. ESM namespace of the CommonJS module: its default.
      const candidate = typeof exported === 'function' ? exported : (exported as { default?: unknown } | undefined)?.default;
      instrumentAsyncLock(candidate);
    }));
  }
  if (options.webLocks !== false && !state.webLocks) {
    state.webLocks = true;
    attempt('navigator.locks', () => {
      instrumentWebLocks();
    });
  }
  return problems;
}

/**
 * Lets import-in-the-middle's hooks watch the libraries, now and from then on. Called when its loader
 * is registered: loading it (about 7 ms of start-up) is wasted on an app without that loader.
 */
export function enableImportHooks(): void {
  const state = installed();
  state.importHooks = true;
  for (const library of state.libraries) hookImports(library);
}

function watchLibrary(state: InstalledState, name: string, helpers: readonly string[], instrument: (exported: unknown) => void): void {
  const library: WatchedLibrary = { name, helpers, instrument, importHooked: false };
  state.libraries.push(library);
  hookRequire(name, (exported, packageDir) => onLoad(library, exported, packageDir));
  if (state.importHooks) hookImports(library);
  // Copies required before we were installed: patch their prototypes in place.
  const cache = (Module as unknown as { _cache?: Record<string, { exports?: unknown; loaded?: boolean }> })._cache ?? {};
  for (const [file, entry] of Object.entries(cache)) {
    const packageDir = entry?.loaded ? packageDirectory(name, file) : undefined;
    if (!packageDir) continue;
    const rest = file.slice(packageDir.length);
    if (rest !== 'index.js' && rest !== `lib${sep}index.js`) continue;
    onLoad(library, entry.exports, packageDir);
  }
}

function hookImports(library: WatchedLibrary): void {
  if (library.importHooked || !OWN_DIR) return;
  library.importHooked = true;
  // Resolved from this package, like the loader register-esm.ts registers: the hooks and the loader must be one copy.
  const { Hook } = createRequire(join(OWN_DIR, 'index.js'))('import-in-the-middle') as typeof import('import-in-the-middle');
  new Hook([library.name], (exported, _name, baseDir) => onLoad(library, exported, baseDir ? withSep(baseDir) : undefined));
}

function onLoad(library: WatchedLibrary, exported: unknown, packageDir: string | undefined): void {
  try {
    if (packageDir) {
      addInternalDirectory(packageDir);
      for (const helper of library.helpers) {
        try {
          const helperMain = createRequire(join(packageDir, 'package.json')).resolve(helper);
          addInternalDirectory(withSep(dirname(helperMain)));
        } catch {
          // the helper is not installed: nothing of it to hide
        }
      }
    }
    library.instrument(exported);
  } catch {
    // A library we cannot patch keeps working unprofiled.
  }
}

function withSep(dir: string): string {
  return dir.endsWith(sep) ? dir : dir + sep;
}

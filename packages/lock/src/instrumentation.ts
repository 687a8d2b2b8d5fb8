import Module from 'node:module';
import { dirname, join, sep } from 'node:path';
import { Hook as RequireHook } from 'require-in-the-middle';
import { Hook as ImportHook } from 'import-in-the-middle';
import { instrumentAsyncLock } from './instrument-async-lock';
import { instrumentAsyncMutex } from './instrument-async-mutex';
import { instrumentWebLocks } from './instrument-web-locks';
import { addInternalDirectory } from './stack-capture';

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

interface InstalledState {
  asyncMutex: boolean;
  asyncLock: boolean;
  webLocks: boolean;
  hooks: Array<{ unhook(): void }>;
}

const STATE_KEY = Symbol.for('vigil.lock.instrumentation.v1');

function installed(): InstalledState {
  const holder = globalThis as unknown as Record<symbol, InstalledState | undefined>;
  return (holder[STATE_KEY] ??= { asyncMutex: false, asyncLock: false, webLocks: false, hooks: [] });
}

/**
 * Instruments the lock libraries the application uses, for `require` (require-in-the-middle) and
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
    attempt('async-mutex', () => hookModule(state, 'async-mutex', ['tslib'], (exported) => {
      instrumentAsyncMutex(exported as Parameters<typeof instrumentAsyncMutex>[0]);
    }));
  }
  if (options.asyncLock !== false && !state.asyncLock) {
    state.asyncLock = true;
    attempt('async-lock', () => hookModule(state, 'async-lock', [], (exported) => {
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
 * `helpers` are packages the library's code runs through (tslib's __awaiter for async-mutex's
 * CommonJS build): their frames are the library's too, and are dropped from stacks.
 */
function hookModule(state: InstalledState, name: string, helpers: string[], instrument: (exported: unknown) => void): void {
  const onLoad = (exported: unknown, baseDir?: string | void): void => {
    try {
      if (baseDir) {
        addInternalDirectory(withSep(baseDir));
        for (const helper of helpers) {
          try {
            const helperMain = Module.createRequire(join(baseDir, 'package.json')).resolve(helper);
            addInternalDirectory(withSep(dirname(helperMain)));
          } catch {
            // the helper is not installed: nothing of it to hide
          }
        }
      }
      instrument(exported);
    } catch {
      // A library we cannot patch keeps working unprofiled.
    }
  };
  state.hooks.push(new RequireHook([name], (exports, _name, baseDir) => {
    onLoad(exports, baseDir);
    return exports;
  }));
  state.hooks.push(new ImportHook([name], (exported, _name, baseDir) => {
    onLoad(exported, baseDir);
  }));
  // Copies required before we were installed: patch their prototypes in place.
  const cache = (Module as unknown as { _cache?: Record<string, { exports?: unknown; loaded?: boolean }> })._cache ?? {};
  const marker = `${sep}node_modules${sep}${name}${sep}`;
  for (const [file, entry] of Object.entries(cache)) {
    const at = file.lastIndexOf(marker);
    if (at < 0 || !entry?.loaded) continue;
    const rest = file.slice(at + marker.length);
    if (rest !== 'index.js' && rest !== `lib${sep}index.js`) continue;
    onLoad(entry.exports, file.slice(0, at + marker.length));
  }
}

function withSep(dir: string): string {
  return dir.endsWith(sep) ? dir : dir + sep;
}

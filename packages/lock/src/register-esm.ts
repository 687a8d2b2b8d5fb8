import * as nodeModule from 'node:module';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { enableImportHooks, installLockInstrumentation } from './instrumentation';
import { OWN_DIR } from './stack-capture';

/** Libraries whose ES module copies we instrument; the loader wraps only these. */
export const ESM_INSTRUMENTED_MODULES = ['async-mutex', 'async-lock'] as const;

/** import-in-the-middle's synchronous-hooks entry (an ES module, loaded with require(esm)). */
interface SyncHooksModule {
  supportsSyncHooks(): boolean;
  register(options: { include: string[] }): void;
}

/**
 * Node 26 deprecates module.register() (DEP0205, a warning on the app's stderr), so there the loader
 * runs as import-in-the-middle's synchronous hooks (module.registerHooks, in-thread). Older runtimes
 * keep the asynchronous loader they were tested with. Returns false when the caller should use it.
 */
function registerSyncHooks(parentPath: string, include: string[]): boolean {
  if (Number(process.versions.node.split('.')[0]) < 26) return false;
  try {
    const syncHooks = createRequire(parentPath)('import-in-the-middle/register-hooks.mjs') as SyncHooksModule;
    if (!syncHooks.supportsSyncHooks()) return false;
    syncHooks.register({ include });
    return true;
  } catch {
    return false;
  }
}

const REGISTERED_KEY = Symbol.for('vigil.lock.esm-hooks.v1');

/**
 * Registers import-in-the-middle's loader (limited to the lock libraries) and installs the lock
 * instrumentation, so `import { Mutex } from 'async-mutex'` is profiled too. It must run before
 * the application's imports are evaluated: use `node --import @vigil/lock/register app.mjs`.
 * CommonJS apps need none of this. Returns false when the runtime has no `module.register`.
 */
export function registerLockEsmHooks(): boolean {
  const holder = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (holder[REGISTERED_KEY]) return true;
  const register = (nodeModule as { register?: (specifier: string, parentURL: string, options?: unknown) => void }).register;
  if (typeof register !== 'function') return false;
  // Resolve the hook from this package (where import-in-the-middle is a dependency), not from the app.
  if (!OWN_DIR) return false;
  const parentPath = join(OWN_DIR, 'index.js');
  const include = [...ESM_INSTRUMENTED_MODULES];
  if (!registerSyncHooks(parentPath, include)) register('import-in-the-middle/hook.mjs', pathToFileURL(parentPath).href, { data: { include } });
  holder[REGISTERED_KEY] = true;
  enableImportHooks();
  installLockInstrumentation();
  return true;
}

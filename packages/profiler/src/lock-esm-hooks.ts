import { existsSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { requireHere } from './require-here';

/**
 * Registers the lock package's ESM loader hooks (so `import { Mutex } from 'async-mutex'` is
 * instrumented), but only when one of the libraries they instrument is installed where the app can
 * import it. The hooks run on a thread of their own with its own V8 heap (about 10 MB of RSS and
 * tens of milliseconds of start-up, measured): an app without those libraries has nothing to gain.
 * Returns whether the hooks were registered.
 */
export function registerLockEsmHooksIfUsed(): boolean {
  const lockPackage = requireHere()('@vigil/lock') as typeof import('@vigil/lock');
  const appDirectories = [process.argv[1] ? dirname(process.argv[1]) : undefined, process.cwd()].filter((d): d is string => d !== undefined);
  if (!lockPackage.ESM_INSTRUMENTED_MODULES.some((name) => installedFor(name, appDirectories))) return false;
  return lockPackage.registerLockEsmHooks();
}

/** True when `node_modules/<name>` exists on the lookup path of one of `directories`. */
function installedFor(name: string, directories: readonly string[]): boolean {
  const lookupPaths = (Module as unknown as { _nodeModulePaths(from: string): string[] })._nodeModulePaths;
  return directories.some((directory) => lookupPaths(directory).some((modules) => existsSync(join(modules, name, 'package.json'))));
}

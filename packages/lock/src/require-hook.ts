import Module from 'node:module';
import { sep } from 'node:path';

/** Called once per loaded copy of the hooked package, with its exports and its directory (ending in a separator). */
export type OnPackageRequired = (exported: unknown, packageDir: string | undefined) => void;

type RequireMethod = (this: Module, id: string) => unknown;
type ModuleInternals = { _resolveFilename(request: string, parent: Module): string };

/**
 * Watches `require(name)` and hands each new copy's exports to `onLoad`
 * (exports are returned unchanged). This replaces require-in-the-middle, whose load alone (with
 * its `debug` dependency, which loads tty and net) cost about 11 ms of every profiled process's
 * start-up, and which resolves every module the app requires; here a require of another name costs
 * one string comparison. Only the package's entry point (`require('async-mutex')`) is watched, as before.
 * The hook stays for the life of the process, as the instrumentation it feeds does.
 */
export function hookRequire(name: string, onLoad: OnPackageRequired): void {
  const seen = new WeakSet<object>();
  const prototype = Module.prototype as unknown as { require: RequireMethod };
  const original = prototype.require;
  prototype.require = function require(this: Module, id: string): unknown {
    // eslint-disable-next-line prefer-rest-params -- forward exactly what the caller passed
    const exported = original.apply(this, arguments as unknown as [string]);
    if (id === name && exported !== null && (typeof exported === 'object' || typeof exported === 'function') && !seen.has(exported)) {
      seen.add(exported);
      try {
        onLoad(exported, packageDirectory(name, (Module as unknown as ModuleInternals)._resolveFilename(id, this)));
      } catch {
        // a library we cannot patch keeps working unprofiled
      }
    }
    return exported;
  };
}

/** `/app/node_modules/async-mutex/` for `/app/node_modules/async-mutex/lib/index.js`. */
export function packageDirectory(name: string, file: string): string | undefined {
  const marker = `${sep}node_modules${sep}${name.split('/').join(sep)}${sep}`;
  const at = file.lastIndexOf(marker);
  return at < 0 ? undefined : file.slice(0, at + marker.length);
}

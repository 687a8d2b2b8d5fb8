import type { IoWaitKind } from './io-wait-kinds';
import type { IoWaitTracker } from './io-wait-tracker';
import { replaceFunction, type Restore } from './patch';

/** fs functions that take a completion callback (and have the same name in fs.promises). */
export const FS_OPERATIONS = [
  'access', 'appendFile', 'chmod', 'chown', 'close', 'copyFile', 'cp', 'fchmod', 'fchown', 'fdatasync', 'fstat',
  'fsync', 'ftruncate', 'futimes', 'lchown', 'link', 'lstat', 'lutimes', 'mkdir', 'mkdtemp', 'open', 'opendir',
  'read', 'readdir', 'readFile', 'readlink', 'readv', 'realpath', 'rename', 'rm', 'rmdir', 'stat', 'statfs',
  'symlink', 'truncate', 'unlink', 'utimes', 'write', 'writeFile', 'writev',
] as const;

/** dns functions that take a completion callback (and have the same name in dns.promises). */
export const DNS_OPERATIONS = [
  'lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCaa', 'resolveCname',
  'resolveMx', 'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTxt', 'reverse',
] as const;

/**
 * Wraps callback-style functions: a sampled call gets its callback wrapped to note the end of the
 * wait; an unsampled call goes straight to the original with its own arguments.
 */
export function instrumentCallbackApi(target: object, names: readonly string[], kind: IoWaitKind, prefix: string, tracker: IoWaitTracker): Restore[] {
  const restores: Restore[] = [];
  for (const name of names) {
    const operation = `${prefix}.${name}`;
    const restore = replaceFunction(target, name, (original) => function wrapped(this: unknown, ...args: unknown[]) {
      const last = args.length - 1;
      if (last < 0 || typeof args[last] !== 'function') return original.apply(this, args);
      const pending = tracker.begin(kind, operation, wrapped);
      if (pending) {
        const callback = args[last] as (...a: unknown[]) => unknown;
        args[last] = function completed(this: unknown, ...results: unknown[]) {
          tracker.end(pending);
          return callback.apply(this, results);
        };
      }
      return original.apply(this, args);
    });
    if (restore) restores.push(restore);
  }
  return restores;
}

/** Wraps promise-returning functions: a sampled call notes the end of the wait when the promise settles. */
export function instrumentPromiseApi(target: object, names: readonly string[], kind: IoWaitKind, prefix: string, tracker: IoWaitTracker): Restore[] {
  const restores: Restore[] = [];
  for (const name of names) {
    const operation = `${prefix}.${name}`;
    const restore = replaceFunction(target, name, (original) => function wrapped(this: unknown, ...args: unknown[]) {
      const pending = tracker.begin(kind, operation, wrapped);
      const result = original.apply(this, args);
      if (pending && result && typeof (result as Promise<unknown>).then === 'function') {
        const finish = () => tracker.end(pending);
        // Our branch handles rejection; the caller's promise is returned untouched.
        (result as Promise<unknown>).then(finish, finish);
      }
      return result;
    });
    if (restore) restores.push(restore);
  }
  return restores;
}

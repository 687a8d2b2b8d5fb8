import { beginAcquire, identityWithoutSite, type LockIdentity } from './recorder';
import { PATCHED } from './patch-helpers';

/**
 * Instruments Web Locks (`navigator.locks.request`, Node 24.5+, experimental) where the runtime
 * has them: the wait lasts from the request to the callback, the hold until the callback's
 * promise settles. The lock name label is `navigator.locks:<name>`.
 */

type RequestFn = (this: unknown, name: unknown, optionsOrCallback?: unknown, callback?: unknown) => Promise<unknown>;

const MAX_NAMED_LOCKS = 1_000;
const identities = new Map<string, LockIdentity>();
let overflowIdentity: LockIdentity | undefined;

function identityForName(name: string): LockIdentity {
  let identity = identities.get(name);
  if (identity) return identity;
  if (identities.size >= MAX_NAMED_LOCKS) {
    overflowIdentity ??= identityWithoutSite('navigator.locks', 'navigator.locks:(other names)');
    return overflowIdentity;
  }
  identity = identityWithoutSite('navigator.locks', `navigator.locks:${name.slice(0, 128)}`);
  identities.set(name, identity);
  return identity;
}

const SHARED = Object.freeze({ 'lock mode': 'shared' });
const EXCLUSIVE = Object.freeze({ 'lock mode': 'exclusive' });

/** Patches LockManager.prototype.request. Returns false when the runtime has no Web Locks. */
export function instrumentWebLocks(): boolean {
  const locks = (globalThis as { navigator?: { locks?: object } }).navigator?.locks;
  if (!locks) return false;
  const proto = Object.getPrototypeOf(locks) as { request?: RequestFn; [PATCHED]?: boolean };
  if (!proto || typeof proto.request !== 'function') return false;
  if (proto[PATCHED]) return true;
  Object.defineProperty(proto, PATCHED, { value: true });
  const originalRequest = proto.request;

  const request = function request(this: unknown, name: unknown, optionsOrCallback?: unknown, maybeCallback?: unknown): Promise<unknown> {
    const callbackIndex = typeof optionsOrCallback === 'function' ? 1 : 2;
    const callback = callbackIndex === 1 ? optionsOrCallback : maybeCallback;
    // Anything unusual (bad arguments) goes to the runtime untouched, so its errors stay its own.
    if (typeof callback !== 'function' || typeof name !== 'string') return originalRequest.apply(this, arguments as unknown as [unknown]);
    const options = callbackIndex === 2 ? (optionsOrCallback as { mode?: unknown } | undefined) : undefined;
    const event = beginAcquire(identityForName(name), options?.mode === 'shared' ? SHARED : EXCLUSIVE);
    if (!event) return originalRequest.apply(this, arguments as unknown as [unknown]);
    const wrapped = function (this: unknown, grantedLock: unknown): unknown {
      if (grantedLock === null) {
        // ifAvailable and the lock was taken: the callback runs without the lock.
        event.failed('unavailable');
        return (callback as (l: unknown) => unknown).call(this, grantedLock);
      }
      event.granted();
      let result: unknown;
      try {
        result = (callback as (l: unknown) => unknown).call(this, grantedLock);
      } catch (error) {
        event.released();
        throw error;
      }
      const settle = (): void => event.released();
      Promise.resolve(result).then(settle, settle);
      return result;
    };
    const pending = callbackIndex === 1 ? originalRequest.call(this, name, wrapped) : originalRequest.call(this, name, optionsOrCallback, wrapped);
    // A request aborted by its signal (or refused) before the grant is a failed wait.
    return pending.then(undefined, (error: unknown) => {
      event.failed((error as { name?: string })?.name === 'AbortError' ? 'aborted' : 'rejected');
      throw error;
    });
  };
  Object.defineProperty(request, 'length', { value: originalRequest.length });
  proto.request = request;
  return true;
}

import { createLockIdentity, identityWithoutSite, type LockIdentity } from './recorder';

/** Where we keep a lock object's identity on instances of instrumented libraries. */
export const LOCK_IDENTITY = Symbol.for('vigil.lock.identity');
/** Marks a prototype we already patched, so a second install (or a second copy of us) is a no-op. */
export const PATCHED = Symbol.for('vigil.lock.patched');

type Tagged = { [LOCK_IDENTITY]?: LockIdentity };

/** The identity of an instrumented lock, made on first use when its creation was not seen. */
export function identityOf(instance: object, kind: string): LockIdentity {
  const tagged = instance as Tagged;
  let identity = tagged[LOCK_IDENTITY];
  if (!identity) {
    identity = identityWithoutSite(kind);
    tag(instance, identity);
  }
  return identity;
}

export function tag(instance: object, identity: LockIdentity): void {
  try {
    Object.defineProperty(instance, LOCK_IDENTITY, { value: identity, configurable: true, writable: true, enumerable: false });
  } catch {
    // frozen objects stay unnamed
  }
}

/**
 * Sees construction without replacing the class: the library's constructor assigns `field` first
 * thing, so a setter on the prototype runs once per new instance (where we take the creation site)
 * and then turns the field into an ordinary own property, leaving the instance as the library made it.
 */
export function watchConstruction(proto: object, field: string, onConstruct: (instance: object) => void): void {
  const existing = Object.getOwnPropertyDescriptor(proto, field);
  if (existing) return;
  Object.defineProperty(proto, field, {
    configurable: true,
    enumerable: false,
    get(): unknown {
      return undefined;
    },
    set(this: object, value: unknown) {
      Object.defineProperty(this, field, { value, writable: true, configurable: true, enumerable: true });
      try {
        onConstruct(this);
      } catch {
        // naming a lock must never break its construction
      }
    },
  });
}

/** Tags a newly constructed instance with the user's creation site. */
export function tagNew(instance: object, kind: string): void {
  tag(instance, createLockIdentity(kind, undefined, tagNew));
}

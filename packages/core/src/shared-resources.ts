/**
 * Process-wide, reference-counted resources that several collectors use together, such as the one
 * V8 sampler that feeds both CPU and wall profiles. The registry lives on `globalThis` so that two
 * copies of a package (a duplicated install) still share one resource per thread.
 */
export interface SharedResources {
  /**
   * Get the resource under `key`, creating it with `create` on first use. Each acquire must be
   * paired with one `release()`; the last release disposes the resource.
   */
  acquire<T extends Disposable>(key: string, create: () => T): Lease<T>;
}

export interface Disposable {
  dispose(): void;
}

export interface Lease<T> {
  readonly value: T;
  release(): void;
}

interface Entry {
  value: Disposable;
  refs: number;
}

const REGISTRY_KEY = Symbol.for('vigil.shared-resources.v1');

function registry(): Map<string, Entry> {
  const holder = globalThis as unknown as Record<symbol, Map<string, Entry> | undefined>;
  holder[REGISTRY_KEY] ??= new Map();
  return holder[REGISTRY_KEY]!;
}

export const sharedResources: SharedResources = {
  acquire<T extends Disposable>(key: string, create: () => T): Lease<T> {
    const map = registry();
    let entry = map.get(key);
    if (!entry) {
      entry = { value: create(), refs: 0 };
      map.set(key, entry);
    }
    entry.refs++;
    const held = entry;
    let released = false;
    return {
      value: held.value as T,
      release() {
        if (released) return;
        released = true;
        held.refs--;
        if (held.refs === 0 && map.get(key) === held) {
          map.delete(key);
          held.value.dispose();
        }
      },
    };
  },
};

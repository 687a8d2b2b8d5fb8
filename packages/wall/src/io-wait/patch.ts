/** Undo for one replaced property. */
export type Restore = () => void;

/**
 * Replaces `target[name]` (a function) with `makeWrapper(original)`, keeping the original's own
 * properties (util.promisify.custom, `realpath.native`, ...). Restoring puts the original back
 * only if nobody replaced our wrapper since, so a later wrapper of the app is never undone.
 */
export function replaceFunction<T extends object>(
  target: T,
  name: string,
  makeWrapper: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown,
): Restore | undefined {
  const holder = target as Record<string, unknown>;
  const original = holder[name];
  if (typeof original !== 'function') return undefined;
  const descriptor = Object.getOwnPropertyDescriptor(target, name);
  if (descriptor && !descriptor.writable && !descriptor.set && !descriptor.configurable) return undefined;
  const wrapper = makeWrapper(original as (...args: unknown[]) => unknown);
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'length' || key === 'name' || key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    const own = Object.getOwnPropertyDescriptor(original, key);
    if (own) {
      try {
        Object.defineProperty(wrapper, key, own);
      } catch {
        // a non-configurable property the wrapper already has
      }
    }
  }
  Object.defineProperty(wrapper, 'name', { value: (original as Function).name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: (original as Function).length, configurable: true });
  try {
    holder[name] = wrapper;
  } catch {
    return undefined;
  }
  if (holder[name] !== wrapper) return undefined;
  return () => {
    if (holder[name] === wrapper) holder[name] = original;
  };
}

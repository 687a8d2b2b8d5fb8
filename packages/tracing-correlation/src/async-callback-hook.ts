import { createHook, type AsyncHook } from 'node:async_hooks';

/**
 * Without AsyncContextFrame the sampler has one thread-wide context, so it must be set again each
 * time an async callback (timer, I/O, promise continuation) begins: an async_hooks `before` hook
 * reads the span active in that callback's async context. This is the costly part of the Node 20
 * path (it turns on promise hooks), so it is enabled only while a sampler of that kind runs.
 */
export class AsyncCallbackHook {
  private hook: AsyncHook | undefined;

  constructor(private readonly onCallbackStart: () => void) {}

  get enabled(): boolean {
    return this.hook !== undefined;
  }

  enable(): void {
    if (this.hook) return;
    const onCallbackStart = this.onCallbackStart;
    this.hook = createHook({
      before() {
        try {
          onCallbackStart();
        } catch {
          // an exception in an async hook kills the process: never let one out
        }
      },
    }).enable();
  }

  disable(): void {
    this.hook?.disable();
    this.hook = undefined;
  }
}

/** The exit paths the profiler flushes on. */
export interface ExitHandlers {
  /** The event loop emptied: asynchronous work may still run. */
  beforeExit(): void;
  /** `process.exit()`, an uncaught exception, or the end after beforeExit: only synchronous work runs. */
  exitSync(code: number): void;
  /** SIGTERM or SIGINT arrived and nobody else listens for it: flush, then call `reRaise`. */
  signal(signal: ExitSignal, reRaise: () => void): void;
}

export const EXIT_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type ExitSignal = (typeof EXIT_SIGNALS)[number];

/**
 * Listens on the process exit paths. A signal listener disables Node's default exit, so when the
 * app has no listener of its own for that signal we flush and then re-raise it (the process dies
 * by the same signal, as it would have without us); when the app has one, the app decides, and
 * we flush on whichever exit it chooses. Returns a function that removes every listener.
 */
export function installExitHooks(handlers: ExitHandlers): () => void {
  const onBeforeExit = () => handlers.beforeExit();
  const onExit = (code: number) => handlers.exitSync(code);
  const signalListeners = new Map<ExitSignal, () => void>();
  let flushingFor: ExitSignal | undefined;

  const uninstall = () => {
    process.removeListener('beforeExit', onBeforeExit);
    process.removeListener('exit', onExit);
    for (const [sig, listener] of signalListeners) process.removeListener(sig, listener);
    signalListeners.clear();
  };

  for (const sig of EXIT_SIGNALS) {
    const listener = () => {
      if (process.listenerCount(sig) > 1) return; // the app handles this signal itself
      const reRaise = () => {
        uninstall();
        process.kill(process.pid, sig);
      };
      // A second signal while flushing (Ctrl-C twice) means "now".
      if (flushingFor) return reRaise();
      flushingFor = sig;
      handlers.signal(sig, reRaise);
    };
    signalListeners.set(sig, listener);
    process.on(sig, listener);
  }
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  return uninstall;
}

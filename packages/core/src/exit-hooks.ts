/**
 * One profiler's part in the process's exit paths. Every method must be bounded by `budgetMs`
 * and must not throw.
 */
export interface ExitParticipant {
  /** Longest this participant's asynchronous flush may keep the process alive. */
  readonly budgetMs: number;
  /** The event loop emptied: flush asynchronously. */
  beforeExit(): Promise<void>;
  /** `process.exit()`, an uncaught exception, or the end after beforeExit: only synchronous work runs. */
  exitSync(code: number): void;
  /** A terminating signal nobody else handles arrived: flush; the process then dies by it. */
  signal(signal: ExitSignal): Promise<void>;
}

/** The signals whose default action ends the process and that a profiler should flush on. */
export const EXIT_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
export type ExitSignal = (typeof EXIT_SIGNALS)[number];

/**
 * The process has one set of exit listeners for every profiler in it, whichever copy of core each
 * came from (the preload's CommonJS build, the app's ESM import, a second `new Profiler()`). With a
 * listener per profiler, each one took the other's listener for the app's own handler, and nobody
 * re-raised the signal: the app swallowed SIGTERM. The registry lives on `globalThis` under a
 * registered symbol so every copy finds it.
 */
interface ExitRegistry {
  readonly participants: Set<ExitParticipant>;
  /** Our own listeners, to tell them apart from the app's. */
  readonly ours: Set<Function>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  installed: boolean;
  flushingFor: ExitSignal | undefined;
}

const REGISTRY_KEY = Symbol.for('vigil.core.exit-registry.v1');
/** Slack on top of the largest budget, for the signal re-raise itself. */
const KEEP_ALIVE_SLACK_MS = 250;

function registry(): ExitRegistry {
  const holder = globalThis as unknown as Record<symbol, ExitRegistry | undefined>;
  holder[REGISTRY_KEY] ??= { participants: new Set(), ours: new Set(), installed: false, flushingFor: undefined };
  return holder[REGISTRY_KEY]!;
}

/**
 * Registers a profiler on the process exit paths. A signal listener disables Node's default exit,
 * so when the app has no listener of its own for that signal, every profiler flushes once and the
 * signal is re-raised (the process dies by it, 143 for SIGTERM, 130 for SIGINT, 129 for SIGHUP);
 * when the app has one, the app decides, and the profilers flush on whichever exit it chooses.
 * Returns a function that unregisters; the listeners go when the last profiler does.
 */
export function installExitHooks(participant: ExitParticipant): () => void {
  const reg = registry();
  reg.participants.add(participant);
  if (!reg.installed) installListeners(reg);
  return () => {
    reg.participants.delete(participant);
    if (reg.participants.size === 0 && reg.flushingFor === undefined) uninstallListeners(reg);
  };
}

function installListeners(reg: ExitRegistry): void {
  reg.installed = true;
  const onBeforeExit = () => {
    const participants = [...reg.participants];
    if (participants.length === 0) return;
    // Sockets and timers of exporters are unref'd so they never keep the app alive; this one
    // ref'd timer does, for at most the exit budget, so the final upload can finish.
    const keepAlive = setTimeout(() => undefined, largestBudget(participants) + KEEP_ALIVE_SLACK_MS);
    void Promise.allSettled(participants.map((p) => safely(() => p.beforeExit()))).finally(() => clearTimeout(keepAlive));
  };
  const onExit = (code: number) => {
    for (const p of [...reg.participants]) {
      try {
        p.exitSync(code);
      } catch {
        // a participant's failure must not change how the app exits
      }
    }
  };
  reg.ours.add(onBeforeExit);
  reg.ours.add(onExit);
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  for (const sig of EXIT_SIGNALS) {
    const onSignal = () => {
      if (process.listeners(sig).some((l) => !reg.ours.has(l))) return; // the app handles this signal itself
      // A second signal while flushing (Ctrl-C twice) means "now".
      if (reg.flushingFor !== undefined) return reRaise(reg, sig);
      reg.flushingFor = sig;
      const participants = [...reg.participants];
      const keepAlive = setTimeout(() => reRaise(reg, sig), largestBudget(participants) + KEEP_ALIVE_SLACK_MS);
      void Promise.allSettled(participants.map((p) => safely(() => p.signal(sig)))).finally(() => {
        clearTimeout(keepAlive);
        reRaise(reg, sig);
      });
    };
    reg.ours.add(onSignal);
    process.on(sig, onSignal);
  }
}

function uninstallListeners(reg: ExitRegistry): void {
  for (const listener of reg.ours) {
    process.removeListener('beforeExit', listener as () => void);
    process.removeListener('exit', listener as () => void);
    for (const sig of EXIT_SIGNALS) process.removeListener(sig, listener as () => void);
  }
  reg.ours.clear();
  reg.installed = false;
}

/** Dies by the signal, as the process would have without us. */
function reRaise(reg: ExitRegistry, sig: ExitSignal): void {
  reg.participants.clear();
  reg.flushingFor = undefined;
  uninstallListeners(reg);
  // If the app added a listener meanwhile, it decides; otherwise the default action ends the process.
  process.kill(process.pid, sig);
}

function largestBudget(participants: readonly ExitParticipant[]): number {
  return Math.max(0, ...participants.map((p) => (Number.isFinite(p.budgetMs) ? p.budgetMs : 0)));
}

function safely(work: () => Promise<void>): Promise<void> {
  try {
    return Promise.resolve(work()).catch(() => undefined);
  } catch {
    return Promise.resolve();
  }
}

import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** What a profiled child process receives through its environment. */
export interface ChildProfilingSettings {
  /** Absolute path of the module preloaded in children (`@vigil/profiler/register` or your own). */
  preloadPath: string;
  /** Variables the preload reads: DD_SERVICE, DD_TAGS, ... */
  variables: Record<string, string>;
}

/** The `child_process` functions that start a process, and where their options argument sits. */
const STARTERS = {
  spawn: 'after-args',
  spawnSync: 'after-args',
  fork: 'after-args',
  execFile: 'after-args',
  execFileSync: 'after-args',
  exec: 'after-command',
  execSync: 'after-command',
} as const;
type StarterName = keyof typeof STARTERS;
type AnyFunction = (...args: unknown[]) => unknown;

/**
 * Process-wide, like the module it patches: every profiler (the preload's, the app's) shares one
 * set of wrappers, and children get the settings of the most recently started one.
 */
interface ChildPatchRegistry {
  readonly active: ChildProfilingSettings[];
  readonly originals: Map<StarterName, AnyFunction>;
  readonly wrappers: Map<StarterName, AnyFunction>;
}

const REGISTRY_KEY = Symbol.for('vigil.core.child-propagation.v1');
const FALSE_VALUES = new Set(['false', '0', 'no', 'off']);

function registry(): ChildPatchRegistry {
  const holder = globalThis as unknown as Record<symbol, ChildPatchRegistry | undefined>;
  holder[REGISTRY_KEY] ??= { active: [], originals: new Map(), wrappers: new Map() };
  return holder[REGISTRY_KEY]!;
}

/** The real, mutable `child_process` module, whether this file runs as CommonJS or ESM. */
function childProcessModule(): Record<string, unknown> {
  return createRequire(join(process.cwd(), 'noop.js'))('node:child_process') as Record<string, unknown>;
}

/**
 * Makes child processes started from now on preload the profiler, without touching this
 * process's own `process.env` (a `dd-trace` initialised later in the app must read the app's
 * environment, not ours): `spawn`, `fork`, `exec`, `execFile` and their synchronous variants get
 * an `env` option holding `--require <preload>` in NODE_OPTIONS and the settings' variables. An
 * `env` the app passes explicitly keeps its own values and gets the missing ones; a child whose
 * explicit env says `DD_PROFILING_ENABLED=false` is left alone. Returns a function that
 * unregisters; the patch goes when the last profiler does, unless someone re-wrapped since.
 */
export function propagateToChildren(settings: ChildProfilingSettings): () => void {
  const reg = registry();
  reg.active.push(settings);
  if (reg.wrappers.size === 0) installWrappers(reg);
  return () => {
    const index = reg.active.indexOf(settings);
    if (index >= 0) reg.active.splice(index, 1);
    if (reg.active.length === 0) uninstallWrappers(reg);
  };
}

function installWrappers(reg: ChildPatchRegistry): void {
  const cp = childProcessModule();
  for (const name of Object.keys(STARTERS) as StarterName[]) {
    const original = cp[name];
    if (typeof original !== 'function') continue;
    const wrapper = function (this: unknown, ...args: unknown[]) {
      return (original as AnyFunction).apply(this, withChildEnv(name, args, reg));
    };
    // util.promisify(exec) uses a custom implementation that calls the original directly.
    const custom = (original as unknown as Record<symbol, unknown>)[promisify.custom];
    if (typeof custom === 'function') {
      Object.defineProperty(wrapper, promisify.custom, {
        value: (...args: unknown[]) => (custom as AnyFunction)(...withChildEnv(name, args, reg)),
        configurable: true,
      });
    }
    Object.defineProperty(wrapper, 'name', { value: name });
    reg.originals.set(name, original as AnyFunction);
    reg.wrappers.set(name, wrapper);
    cp[name] = wrapper;
  }
  syncBuiltinESMExports(); // so `import { spawn } from 'node:child_process'` sees the wrappers
}

function uninstallWrappers(reg: ChildPatchRegistry): void {
  const cp = childProcessModule();
  for (const [name, wrapper] of reg.wrappers) {
    // Someone wrapped ours since: unwrapping would drop theirs. Our wrapper passes through when idle.
    if (cp[name] === wrapper) cp[name] = reg.originals.get(name);
  }
  reg.wrappers.clear();
  reg.originals.clear();
  syncBuiltinESMExports();
}

/** The arguments with an options object whose `env` profiles the child. */
function withChildEnv(name: StarterName, args: readonly unknown[], reg: ChildPatchRegistry): unknown[] {
  const settings = reg.active[reg.active.length - 1];
  if (!settings) return [...args];
  try {
    const out = [...args];
    for (let i = 1; i < out.length; i++) {
      if (typeof out[i] === 'function') break;
      if (isOptions(out[i])) {
        const options = out[i] as { env?: NodeJS.ProcessEnv };
        const env = childEnv(options.env, settings);
        if (env !== options.env) out[i] = { ...options, env };
        return out;
      }
    }
    const options = { env: childEnv(undefined, settings) };
    // spawn(cmd, args?, options?), fork, execFile(file, args?, options?, cb?) / exec(cmd, options?, cb?)
    const at = STARTERS[name] === 'after-args' && (Array.isArray(out[1]) || (out.length > 1 && out[1] == null)) ? 2 : 1;
    if (out[at] == null) out[at] = options;
    else out.splice(at, 0, options);
    return out;
  } catch {
    return [...args]; // never let our bookkeeping stop the app from starting its child
  }
}

function isOptions(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The child's environment: the app's explicit values win; otherwise ours over the inherited ones. */
export function childEnv(explicit: NodeJS.ProcessEnv | undefined, settings: ChildProfilingSettings): NodeJS.ProcessEnv {
  if (explicit && FALSE_VALUES.has(String(explicit.DD_PROFILING_ENABLED ?? '').trim().toLowerCase())) return explicit;
  const requireFlag = `--require ${quoteForNodeOptions(settings.preloadPath)}`;
  const env: NodeJS.ProcessEnv = explicit ? { ...settings.variables, ...explicit } : { ...process.env, ...settings.variables };
  const currentOptions = (explicit ?? process.env).NODE_OPTIONS ?? '';
  env.NODE_OPTIONS = currentOptions.includes(requireFlag) ? currentOptions : `${currentOptions} ${requireFlag}`.trim();
  return env;
}

/** NODE_OPTIONS splits on spaces and understands double quotes with backslash escapes. */
export function quoteForNodeOptions(path: string): string {
  return /[\s"\\]/.test(path) ? `"${path.replace(/(["\\])/g, '\\$1')}"` : path;
}

/** Finds `@vigil/profiler/register` as the app would, or undefined when it is not installed. */
export function findDefaultPreload(fromDir: string = process.cwd()): string | undefined {
  try {
    return createRequire(join(fromDir, 'noop.js')).resolve('@vigil/profiler/register');
  } catch {
    return undefined;
  }
}

/** DD_TAGS form of tags; entries whose key or value cannot survive that syntax are left out. */
export function serializeTags(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .filter(([k, v]) => k !== '' && v !== '' && !/[\s,:]/.test(k) && !/[\s,]/.test(v))
    .map(([k, v]) => `${k}:${v}`)
    .join(',');
}

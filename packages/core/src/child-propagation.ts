import { createRequire } from 'node:module';
import { join } from 'node:path';

/** What a profiled child process inherits through its environment. */
export interface ChildProfilingSettings {
  /** Absolute path of the module preloaded in children (`@vigil/profiler/register` or your own). */
  preloadPath: string;
  /** Variables the preload reads: DD_SERVICE, DD_TAGS, ... */
  variables: Record<string, string>;
}

/**
 * Makes Node child processes started from now on (spawn/fork/exec of `node`, with the default
 * environment) preload the profiler: `--require <preload>` goes into NODE_OPTIONS and the settings
 * into their variables. Returns a function restoring the variables we changed, unless the app
 * changed them since.
 */
export function propagateToChildren(settings: ChildProfilingSettings, env: NodeJS.ProcessEnv = process.env): () => void {
  const requireFlag = `--require ${quoteForNodeOptions(settings.preloadPath)}`;
  const currentOptions = env.NODE_OPTIONS ?? '';
  const wanted: Record<string, string> = {
    ...settings.variables,
    NODE_OPTIONS: currentOptions.includes(requireFlag) ? currentOptions : `${currentOptions} ${requireFlag}`.trim(),
  };
  const previous = new Map(Object.keys(wanted).map((k) => [k, env[k]]));
  Object.assign(env, wanted);
  return () => {
    for (const [key, before] of previous) {
      if (env[key] !== wanted[key]) continue;
      if (before === undefined) delete env[key];
      else env[key] = before;
    }
  };
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

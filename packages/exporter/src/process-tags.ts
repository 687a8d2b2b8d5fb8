import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, parse, resolve } from 'node:path';

/**
 * Datadog's process tags: what the process is, independent of how it was configured, so services
 * that were not named can still be told apart. Sent as the upload's `process_tags` field, a comma
 * string of `key:value` in key order, as dd-trace-js builds it (`process-tags/index.js`):
 * `entrypoint.basedir` (folder of the main script), `entrypoint.name` (its file name without
 * extension), `entrypoint.type:script`, `entrypoint.workdir` (last segment of the working
 * directory), `package.json.name` (the nearest package.json above the main script), then
 * `svc.user:true` when the service was named, else `svc.auto:<the inferred service name>`.
 * Values are lower-cased and every run of characters other than `a-z0-9/_.-` becomes `_`.
 */
export function processTags(options: { entrypoint?: string; cwd?: string; service?: string; serviceInferred: boolean }): string {
  const entrypoint = options.entrypoint ?? '';
  const cwd = options.cwd ?? process.cwd();
  const tags: Array<[string, string | undefined]> = [
    ['entrypoint.basedir', entrypoint ? basename(dirname(entrypoint)) : undefined],
    ['entrypoint.name', basename(entrypoint, extname(entrypoint)) || undefined],
    ['entrypoint.type', 'script'],
    ['entrypoint.workdir', basename(cwd) || undefined],
    // dd-trace-js looks above the main script, or above the working directory when it loads first.
    ['package.json.name', (entrypoint ? packageName(dirname(entrypoint)) : undefined) ?? packageName(cwd)],
    options.serviceInferred ? ['svc.auto', options.service] : ['svc.user', 'true'],
  ];
  return tags.filter((t): t is [string, string] => t[1] !== undefined && t[1] !== '').map(([k, v]) => `${k}:${sanitize(v)}`).join(',');
}

/** The process's main script: CommonJS `require.main`, else the script Node was given (ESM has no require.main). */
export function entrypointPath(): string {
  const main = typeof require === 'function' ? require.main?.filename : undefined;
  if (main) return main;
  const script = process.argv[1];
  return script ? resolve(script) : '';
}

function sanitize(value: string): string {
  return value.toLowerCase().replace(/[^a-zA-Z0-9/_.-]+/g, '_');
}

const names = new Map<string, string | undefined>();

/** `name` of the nearest package.json at or above `folder`, read once per folder. */
function packageName(folder: string): string | undefined {
  if (names.has(folder)) return names.get(folder);
  let name: string | undefined;
  const { root } = parse(resolve(folder));
  for (let dir = resolve(folder); ; dir = dirname(dir)) {
    const file = resolve(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown };
        name = typeof parsed.name === 'string' && parsed.name ? parsed.name : undefined;
      } catch {
        name = undefined;
      }
      break;
    }
    if (dir === root) break;
  }
  if (names.size < 16) names.set(folder, name);
  return name;
}

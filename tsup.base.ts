import type { Options } from 'tsup';

/**
 * ESM builds of code that needs its own path. tsup's `shims` computes `fileURLToPath(import.meta.url)`
 * at load time, which throws when an app re-bundles our ESM build into CommonJS (esbuild, webpack:
 * `import.meta.url` is then undefined), crashing the app on require. This banner leaves
 * `__filename`/`__dirname` undefined instead, and the code using them has a fallback.
 */
const SAFE_OWN_PATH_BANNER = [
  "import { fileURLToPath as __vigilFileURLToPath } from 'node:url';",
  "import { dirname as __vigilDirname } from 'node:path';",
  'const __filename = (() => { try { return __vigilFileURLToPath(import.meta.url); } catch { return undefined; } })();',
  'const __dirname = __filename === undefined ? undefined : __vigilDirname(__filename);',
].join('\n');

export interface PackageBuildOptions extends Options {
  /** The code reads `__filename`/`__dirname` (possibly undefined in a re-bundled ESM build). */
  ownPath?: boolean;
}

/**
 * The build every package shares: ESM + CJS + types for Node 20, with source maps. A package's
 * tsup.config.ts passes what differs (extra entries, `ownPath`).
 */
export function packageBuild({ ownPath = false, ...overrides }: PackageBuildOptions = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['cjs', 'esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    ...(ownPath ? { banner: ({ format }) => (format === 'esm' ? { js: SAFE_OWN_PATH_BANNER } : undefined) } : {}),
    ...overrides,
  };
}

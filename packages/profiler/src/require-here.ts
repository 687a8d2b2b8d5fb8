import { createRequire } from 'node:module';

/**
 * `require` as this package resolves it, for what loads on demand. __filename is undefined when an
 * app re-bundled our ESM build; then resolve as its main script would.
 */
export function requireHere(): NodeJS.Require {
  return createRequire(__filename ?? process.argv[1] ?? `${process.cwd()}/noop.js`);
}

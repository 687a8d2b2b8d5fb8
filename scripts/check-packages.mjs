#!/usr/bin/env node
// Checks every publishable package as npm users will get it: packs it the way a release does
// (`pnpm pack`, which turns workspace: ranges into versions), then lints the tarball with publint
// (files, exports, bin, fields) and @arethetypeswrong/cli (types resolve for require and import,
// under node10, node16 and bundler resolution). Run after the build; exits 1 on any problem.
// Usage: node scripts/check-packages.mjs   (from anywhere; uses the workspace's own tools)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const tarballs = mkdtempSync(join(tmpdir(), 'vigil-check-packages-'));

/** `pnpm pack` from the pnpm running us (under `pnpm exec`), else the pinned one through npx. */
function pnpm(args, cwd) {
  const current = process.env.npm_execpath;
  if (current && /pnpm/.test(current)) return execFileSync(process.execPath, [current, ...args], { cwd, encoding: 'utf8' });
  return execFileSync('npx', ['-y', 'pnpm@10', ...args], { cwd, encoding: 'utf8' });
}

const publishable = ['packages', 'apps']
  .flatMap((top) => readdirSync(join(root, top)).map((dir) => join(root, top, dir)))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => !manifest.private);

// The linters get a plain environment: pnpm's npm_config_* variables make npm warn about each one.
const toolEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_config_/i.test(key)));

let failed = 0;
function check(label, file, args) {
  try {
    execFileSync(file, args, { stdio: 'pipe', encoding: 'utf8', env: toolEnv });
    console.log(`ok    ${label}`);
  } catch (error) {
    failed++;
    console.log(`FAIL  ${label}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
}

try {
  for (const { dir, manifest } of publishable) {
    const before = new Set(readdirSync(tarballs));
    pnpm(['pack', '--pack-destination', tarballs], dir);
    const tarball = join(tarballs, readdirSync(tarballs).find((f) => !before.has(f)));
    check(`publint ${manifest.name}`, bin('publint'), ['run', tarball, '--strict']);
    // A package without a "." entry (the CLI: a bin and nothing to import) has no types to check.
    // The node16 profile: node10 resolution (TypeScript's legacy `moduleResolution: node`) cannot see
    // subpath exports at all, and `/register` subpaths are preloads for the command line, not imports.
    if (manifest.exports?.['.']) check(`attw ${manifest.name}`, bin('attw'), [tarball, '--profile', 'node16', '--format', 'ascii', '--no-emoji', '--no-color']);
  }
} finally {
  rmSync(tarballs, { recursive: true, force: true });
}
console.log(`${publishable.length} publishable packages checked, ${failed} problem(s)`);
process.exit(failed === 0 ? 0 : 1);

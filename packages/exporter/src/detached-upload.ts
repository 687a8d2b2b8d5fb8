import { randomBytes } from 'node:crypto';
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpRequest, HttpTarget } from './http-transport';
import type { RetryPolicy } from './retry-policy';

/** What the detached uploader receives through its payload file. */
export interface DetachedUploadPayload {
  readonly target: HttpTarget;
  readonly requests: ReadonlyArray<Omit<HttpRequest, 'body'> & { bodyBase64: string }>;
  readonly deadlineMs: number;
  readonly requestTimeoutMs: number;
  readonly policy: RetryPolicy;
}

/**
 * Hands requests to a short-lived detached Node process that sends them (with retries, until the
 * deadline) after this process is gone: `process.exit()` allows no asynchronous work, and this is
 * how the final profile still reaches a network backend. The payload travels in a temp file
 * readable only by this user (never in argv, where an API key would be visible in `ps`); the child
 * deletes it as soon as it has read it. Returns the child's pid.
 */
export function startDetachedUpload(target: HttpTarget, requests: readonly HttpRequest[], options: { deadlineMs: number; requestTimeoutMs: number; policy: RetryPolicy }): number | undefined {
  const payload: DetachedUploadPayload = {
    target,
    requests: requests.map(({ body, ...rest }) => ({ ...rest, bodyBase64: body.toString('base64') })),
    deadlineMs: options.deadlineMs,
    requestTimeoutMs: options.requestTimeoutMs,
    policy: options.policy,
  };
  const file = join(tmpdir(), `vigil-upload-${process.pid}-${randomBytes(6).toString('hex')}.json`);
  writeFileSync(file, JSON.stringify(payload), { mode: 0o600, flag: 'wx' });
  try {
    const { args, cwd } = uploaderCommand();
    // child_process (with net and dgram) is loaded here, not with the package: 4 ms of every
    // profiled process's start-up, for what only an exit through process.exit() with a network exporter needs.
    const { spawn } = process.getBuiltinModule('node:child_process');
    const child = spawn(process.execPath, [...args, file], { detached: true, stdio: 'ignore', env: uploaderEnv(), cwd, windowsHide: true });
    child.on('error', () => removeQuietly(file));
    child.unref();
    return child.pid;
  } catch (error) {
    removeQuietly(file);
    throw error;
  }
}

/** The built package ships the uploader as JavaScript; from sources (tests, tsx) it runs through tsx. */
function uploaderCommand(): { args: string[]; cwd?: string } {
  // Undefined when an app re-bundled our ESM build: there is no uploader script to start then.
  if (typeof __dirname !== 'string') throw new Error('the detached uploader cannot be located: this code was bundled into the app');
  const built = join(__dirname, 'detached-upload-main.js');
  if (existsSync(built)) return { args: [built] };
  const source = join(__dirname, 'detached-upload-main.ts');
  if (existsSync(source)) return { args: ['--import', 'tsx', source], cwd: join(__dirname, '..') };
  throw new Error(`the detached uploader script is missing next to ${__dirname}`);
}

/** The uploader must not be profiled itself (NODE_OPTIONS may preload the profiler). */
function uploaderEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DD_PROFILING_ENABLED: 'false' };
  delete env.NODE_OPTIONS;
  return env;
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // the child already took it
  }
}

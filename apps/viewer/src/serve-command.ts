import { EnvReader, createConsoleLogger, isLogLevel, type Logger } from '@vigil/core';
import { DEFAULT_DATA_DIR, DEFAULT_MAX_BODY_BYTES, DEFAULT_RETENTION_MB, DEFAULT_VIEWER_HOST, DEFAULT_VIEWER_PORT, type ViewerOptions } from './options';
import { startViewer, type ViewerHandle } from './server';

export interface ServeIo {
  env?: NodeJS.ProcessEnv;
  /** Where the "listening on" line goes. Default process.stdout. */
  out?: (line: string) => void;
  logger?: Logger;
}

export const SERVE_USAGE = `usage: vigil serve [--port 8126] [--host 127.0.0.1] [--data-dir ./.vigil-data] [--retention-mb 1024] [--max-body-mb 32]
environment: VIGIL_VIEWER_PORT, VIGIL_VIEWER_HOST, VIGIL_VIEWER_DATA_DIR, VIGIL_VIEWER_RETENTION_MB, VIGIL_VIEWER_MAX_BODY_MB, VIGIL_LOG_LEVEL`;

/**
 * Viewer options from command-line flags, falling back to VIGIL_VIEWER_* variables and then the
 * defaults. Throws a usage error (a message fit to print) on an unknown flag or a bad value.
 */
export function parseServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, warn: (message: string) => void = () => undefined): ViewerOptions {
  const reader = new EnvReader(env, warn);
  const options: ViewerOptions = {
    port: reader.number('VIGIL_VIEWER_PORT', DEFAULT_VIEWER_PORT, { min: 0, max: 65535, integer: true }),
    host: reader.string('VIGIL_VIEWER_HOST') ?? DEFAULT_VIEWER_HOST,
    dataDir: reader.string('VIGIL_VIEWER_DATA_DIR') ?? DEFAULT_DATA_DIR,
    retentionMb: reader.number('VIGIL_VIEWER_RETENTION_MB', DEFAULT_RETENTION_MB, { min: 1, unit: 'MiB' }),
    maxBodyBytes: Math.round(reader.number('VIGIL_VIEWER_MAX_BODY_MB', DEFAULT_MAX_BODY_BYTES / 1048576, { min: 0.001, unit: 'MiB' }) * 1048576),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value\n${SERVE_USAGE}`);
      return v;
    };
    const number = (min: number, max: number, integer: boolean) => {
      const raw = value();
      const n = Number(raw);
      if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) throw new Error(`${flag} ${raw}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]\n${SERVE_USAGE}`);
      return n;
    };
    switch (flag) {
      case '--port': options.port = number(0, 65535, true); break;
      case '--host': options.host = value(); break;
      case '--data-dir': options.dataDir = value(); break;
      case '--retention-mb': options.retentionMb = number(1, Number.MAX_SAFE_INTEGER, false); break;
      case '--max-body-mb': options.maxBodyBytes = Math.round(number(0.001, 4096, false) * 1048576); break;
      default: throw new Error(`unknown option ${arg}\n${SERVE_USAGE}`);
    }
  }
  return options;
}

/**
 * What `vigil serve` runs: parses flags and environment, starts the viewer and prints its URL.
 * Returns the running viewer; the caller decides when to close it (e.g. on SIGINT).
 */
export async function serveViewer(argv: readonly string[], io: ServeIo = {}): Promise<ViewerHandle> {
  const env = io.env ?? process.env;
  const level = env.VIGIL_LOG_LEVEL?.trim().toLowerCase() ?? 'warn';
  const logger = io.logger ?? createConsoleLogger(isLogLevel(level) ? level : 'warn');
  const options = parseServeArgs(argv, env, (m) => logger.warn(m));
  const viewer = await startViewer({ ...options, logger });
  const out = io.out ?? ((line: string) => process.stdout.write(line));
  out(`vigil viewer listening on ${viewer.url} (data in ${viewer.dataDir})\n`);
  if (viewer.host !== '127.0.0.1' && viewer.host !== 'localhost' && viewer.host !== '::1') {
    out(`warning: bound to ${viewer.host}: anyone who can reach this port can upload and read profiles\n`);
  }
  return viewer;
}

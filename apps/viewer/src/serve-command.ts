import { EnvReader, createConsoleLogger, isLogLevel, type Logger } from '@vigil/core';
import { DEFAULT_DATA_DIR, DEFAULT_MAX_BODY_BYTES, DEFAULT_RETENTION_MB, DEFAULT_VIEWER_HOST, DEFAULT_VIEWER_PORT, type ViewerOptions } from './options';
import { startViewer, type ViewerHandle } from './server';

export interface ServeIo {
  env?: NodeJS.ProcessEnv;
  /** Where the "listening on" line goes. Default process.stdout. */
  out?: (line: string) => void;
  logger?: Logger;
}

export const SERVE_USAGE = `Usage: vigil serve [options]

Starts the local viewer: a Datadog-agent, Pyroscope and OTLP compatible intake, an on-disk profile
store, and a web UI with flame graphs, hotspots, timelines, diffs and leak suspects.
Point any profiler at it (DD_TRACE_AGENT_URL=http://127.0.0.1:8126, or vigil run --upload).

Options (each also read from the environment variable shown):
  --port <n>            port (default 8126, the Datadog agent's)              VIGIL_VIEWER_PORT
  --host <addr>         address to bind (default 127.0.0.1); any other        VIGIL_VIEWER_HOST
                        address needs --token
  --token <secret>      every request must carry it (Authorization: Bearer,  VIGIL_VIEWER_TOKEN
                        DD-API-KEY or X-Vigil-Token; open the UI with ?token=)
  --data-dir <dir>      where profiles are stored (default ./.vigil-data)    VIGIL_VIEWER_DATA_DIR
  --retention-mb <n>    keep at most this much, oldest dropped (default 1024) VIGIL_VIEWER_RETENTION_MB
  --max-body-mb <n>     largest accepted upload in MiB (default 32)           VIGIL_VIEWER_MAX_BODY_MB
  -h, --help            this help
Log level: VIGIL_LOG_LEVEL (default warn).

Examples:
  vigil serve
  vigil serve --port 9000 --data-dir /var/tmp/profiles --retention-mb 200
  VIGIL_VIEWER_TOKEN=$(openssl rand -hex 16) vigil serve --host 0.0.0.0`;

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
    token: reader.string('VIGIL_VIEWER_TOKEN'),
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
      case '--token': options.token = value(); break;
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
    out(`bound to ${viewer.host}: every request must carry the token (open the UI at ${viewer.url}/?token=<token>)\n`);
  }
  return viewer;
}

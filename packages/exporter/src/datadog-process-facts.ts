import { basename, extname } from 'node:path';
import { gitMetadata, type GitMetadata } from './git-metadata';
import { entrypointPath, processTags } from './process-tags';

/**
 * What the event says about the process beyond the batch, read once per exporter (see
 * `datadogProcessFacts`).
 */
export interface DatadogProcessFacts {
  /** Host name, sent as `info.platform.hostname` and the `host:` tag under DD_TRACE_REPORT_HOSTNAME. */
  readonly hostname?: string;
  /** `git.repository_url` / `git.commit.sha` tags, only when both are known (as dd-trace-js does). */
  readonly git?: GitMetadata;
  /** The `process_tags` field. */
  readonly processTags?: string;
  /** UV_THREADPOOL_SIZE parsed as libuv does (atoi: junk is 0); undefined when unset. */
  readonly libuvThreadpoolSize?: number;
  /** `manual` (DD_PROFILING_ENABLED=true or code), `auto` (DD_PROFILING_ENABLED=auto). */
  readonly activation: 'manual' | 'auto';
  /** `injected_agent` when single-step instrumentation injected the profiler (DD_INJECTION_ENABLED). */
  readonly ssiMechanism: 'none' | 'injected_agent';
  /** AWS Lambda function name, sent as the `functionname` tag as dd-trace-js does. */
  readonly functionName?: string;
}

/** Reads the process facts of `DatadogProcessFacts` from the environment and the file system, once. */
export function datadogProcessFacts(env: Readonly<NodeJS.ProcessEnv>, options: { reportHostname: boolean; hostname: string; service?: string; tags?: Readonly<Record<string, string>> }): DatadogProcessFacts {
  const entrypoint = safeString(entrypointPath);
  const inferredService = entrypoint ? basename(entrypoint, extname(entrypoint)) : 'node';
  const serviceInferred = !env.DD_SERVICE && options.service === inferredService;
  const threadpool = env.UV_THREADPOOL_SIZE;
  let git: GitMetadata = {};
  try {
    git = gitMetadata(env, options.tags ?? {});
  } catch {
    // unreadable files: no git tags
  }
  return {
    hostname: options.reportHostname ? options.hostname : undefined,
    git,
    processTags: safeString(() => processTags({ entrypoint, service: options.service, serviceInferred })) || undefined,
    libuvThreadpoolSize: threadpool === undefined ? undefined : atoi(threadpool),
    activation: (env.DD_PROFILING_ENABLED ?? '').trim().toLowerCase() === 'auto' ? 'auto' : 'manual',
    ssiMechanism: env.DD_INJECTION_ENABLED ? 'injected_agent' : 'none',
    functionName: env.AWS_LAMBDA_FUNCTION_NAME || undefined,
  };
}

/** libuv reads UV_THREADPOOL_SIZE with atoi: leading digits, else 0. */
function atoi(text: string): number {
  const n = Number.parseInt(text, 10);
  return Number.isNaN(n) ? 0 : n;
}

function safeString(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}

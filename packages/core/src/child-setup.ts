import { existsSync } from 'node:fs';
import { findDefaultPreload, propagateToChildren, serializeTags } from './child-propagation';
import { safeLog, type Logger, type ProblemReporter } from './logger';

export interface ChildSetupOptions {
  /** Module children preload; default `@vigil/profiler/register` when installed. */
  preloadPath: string | undefined;
  /** The parent's resolved tags (service, env, version). */
  tags: Readonly<Record<string, string>>;
  /** Only the user's own tags: runtime tags such as the pid belong to each child. */
  userTags: Readonly<Record<string, string>>;
  periodMs: number;
  parentPid: number;
  logger: Logger;
  problems: ProblemReporter;
}

/**
 * Sets up profiling of child processes with the parent's service, tags and period. Returns the
 * function that ends it, or undefined when there is nothing children could preload.
 */
export function startChildProfiling(options: ChildSetupOptions): (() => void) | undefined {
  const preloadPath = options.preloadPath ?? findDefaultPreload();
  if (!preloadPath) {
    safeLog(() => options.logger.debug('profileChildren: no preload module (install `@vigil/profiler` or pass childPreload); children are not profiled'));
    return undefined;
  }
  // A --require of a missing file would stop every Node child from starting at all.
  if (!existsSync(preloadPath)) {
    options.problems.report('child-preload-missing', `profileChildren: the preload module ${preloadPath} does not exist; child processes are not profiled`);
    return undefined;
  }
  const { tags } = options;
  const variables: Record<string, string> = {
    DD_PROFILING_ENABLED: 'true',
    DD_SERVICE: tags.service!,
    DD_PROFILING_UPLOAD_PERIOD: String(options.periodMs / 1000),
    VIGIL_PARENT_PROCESS_ID: String(options.parentPid),
  };
  if (tags.env) variables.DD_ENV = tags.env;
  if (tags.version) variables.DD_VERSION = tags.version;
  const userTags = serializeTags(options.userTags);
  if (userTags) variables.DD_TAGS = userTags;
  return propagateToChildren({ preloadPath, variables });
}

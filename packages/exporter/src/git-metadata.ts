import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The source code a profile belongs to, for Datadog's source code integration (links from frames to the repository). */
export interface GitMetadata {
  readonly repositoryUrl?: string;
  readonly commitSha?: string;
}

const COMMIT_SHA = /^[0-9a-f]{40}$/;
const PROPERTIES_SHA = /git\.commit\.sha=([a-f\d]{40})/;
const PROPERTIES_URL = /git\.repository_url=([\w:@/.-]+)/;
const URL_VALUE = /^[\w:@/.-]+$/;
const HEAD_REF = /ref:\s+(refs\/[A-Za-z0-9._/-]+)/;
const MAX_FILE_BYTES = 1 << 20;

/**
 * Git metadata found as dd-trace-js finds it (`git_metadata.js`, `config/git_properties.js`), first
 * source that has a value wins, field by field:
 * 1. `DD_GIT_REPOSITORY_URL` / `DD_GIT_COMMIT_SHA`, then the `git.repository_url` / `git.commit.sha`
 *    tags (DD_TAGS or the profiler's tags);
 * 2. a `git.properties` file (`DD_GIT_PROPERTIES_FILE`, default `./git.properties`);
 * 3. the `.git` folder (`DD_GIT_FOLDER_PATH`, default `./.git`): the `origin` remote's URL and HEAD.
 * Credentials in a URL (`https://user:token@host/...`) are removed. `DD_TRACE_GIT_METADATA_ENABLED=false`
 * turns all of it off.
 */
export function gitMetadata(env: Readonly<NodeJS.ProcessEnv>, tags: Readonly<Record<string, string>>, cwd = process.cwd()): GitMetadata {
  if (['false', '0'].includes((env.DD_TRACE_GIT_METADATA_ENABLED ?? '').trim().toLowerCase())) return {};
  let repositoryUrl = withoutCredentials(env.DD_GIT_REPOSITORY_URL || tags['git.repository_url'] || undefined);
  let commitSha = env.DD_GIT_COMMIT_SHA || tags['git.commit.sha'] || undefined;
  if (!repositoryUrl || !commitSha) {
    const properties = readSmall(env.DD_GIT_PROPERTIES_FILE || join(cwd, 'git.properties'));
    if (properties) {
      commitSha ??= properties.match(PROPERTIES_SHA)?.[1];
      repositoryUrl ??= withoutCredentials(properties.match(PROPERTIES_URL)?.[1]);
    }
  }
  const gitFolder = env.DD_GIT_FOLDER_PATH || join(cwd, '.git');
  if (!repositoryUrl) repositoryUrl = originUrl(readSmall(join(gitFolder, 'config')));
  commitSha ??= headSha(gitFolder);
  return { ...(repositoryUrl ? { repositoryUrl } : {}), ...(commitSha ? { commitSha } : {}) };
}

/** `https://user:secret@host/path` -> `https://host/path`; anything that is not such a URL is kept. */
export function withoutCredentials(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.username || parsed.password ? `${parsed.origin}${parsed.pathname}` : url;
  } catch {
    return url; // scp-like `git@host:org/repo.git` carries no password
  }
}

function originUrl(config: string | undefined): string | undefined {
  if (!config) return undefined;
  const lines = config.split('\n');
  let inOrigin = false;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed.startsWith('[')) {
      if (inOrigin) return undefined;
      inOrigin = /^\[remote\s+"origin"\]/i.test(trimmed);
      continue;
    }
    if (!inOrigin) continue;
    const at = trimmed.indexOf('=');
    if (at < 0 || trimmed.slice(0, at).trim().toLowerCase() !== 'url') continue;
    const value = trimmed.slice(at + 1).trim();
    if (URL_VALUE.test(value)) return withoutCredentials(value);
  }
  return undefined;
}

function headSha(gitFolder: string): string | undefined {
  const head = readSmall(join(gitFolder, 'HEAD'))?.trim();
  if (!head) return undefined;
  if (COMMIT_SHA.test(head)) return head;
  const ref = head.match(HEAD_REF)?.[1];
  if (!ref) return undefined;
  const sha = readSmall(join(gitFolder, ref))?.trim();
  if (sha && COMMIT_SHA.test(sha)) return sha;
  // A ref packed by `git gc` lives only in packed-refs: `<sha> <ref>`.
  const packed = readSmall(join(gitFolder, 'packed-refs'));
  const line = packed?.split('\n').find((l) => l.endsWith(` ${ref}`));
  const packedSha = line?.slice(0, 40);
  return packedSha && COMMIT_SHA.test(packedSha) ? packedSha : undefined;
}

function readSmall(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').slice(0, MAX_FILE_BYTES);
  } catch {
    return undefined;
  }
}

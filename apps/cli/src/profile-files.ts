import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeProfile, type Profile } from '@vigil/core';
import { UsageError } from './usage-error';

export interface LoadedProfile {
  path: string;
  profile: Profile;
}

/** Expands directories to the .pprof files inside them (sorted by name, which sorts by time for ours). */
export function expandProfilePaths(paths: readonly string[]): string[] {
  return paths.flatMap((path) => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new UsageError(`no such file or directory: ${path}`);
    }
    if (!stat.isDirectory()) return [path];
    const files = readdirSync(path).filter((f) => f.endsWith('.pprof')).sort().map((f) => join(path, f));
    if (files.length === 0) throw new UsageError(`no .pprof files in ${path}`);
    return files;
  });
}

/** Reads and decodes pprof files (gzip or not); a file that is not pprof is a UsageError naming it. */
export function loadProfiles(paths: readonly string[]): LoadedProfile[] {
  return expandProfilePaths(paths).map((path) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
    }
    try {
      const profile = decodeProfile(bytes);
      if (profile.sampleType.length === 0) throw new Error('no sample types');
      return { path, profile };
    } catch (error) {
      throw new UsageError(`${path} is not a pprof profile (${(error as Error).message})`);
    }
  });
}

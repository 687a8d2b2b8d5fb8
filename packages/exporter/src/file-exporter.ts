import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ProblemReporter, type Exporter, type ExportResult, type Logger, type NamedProfile, type ProfileBatch } from '@vigil/core';
import { compactIsoTime, profileSeq, tagsFor } from './batch-tags';
import { encodePprof, encodePprofSync } from './pprof-encoding';
import { safeName } from './safe-names';

export interface FileExporterOptions {
  /** Folder the files go to; created when missing. Default: the current working directory. */
  directory?: string;
  /**
   * Start of every file name. May contain a folder part (`/var/profiles/app-`), as
   * DD_PROFILING_OUTPUT_PPROF does; that part is joined to `directory`.
   */
  prefix?: string;
  /** Where write failures are reported (once per kind, at error level). */
  logger?: Logger;
  /** Exporter name in logs and stats; default 'file'. */
  name?: string;
}

/** The files written so far, for callers that want to know (tests, the CLI). */
export interface FileExporterStats {
  filesWritten: number;
  failures: number;
}

/** Most name collisions we resolve with a numeric suffix before giving up on a file. */
const MAX_NAME_SUFFIX = 100;

/**
 * Writes one gzip-compressed pprof file per profile type and period, named
 * `{prefix}{type}_{pid}_{threadId}_{time}.pprof`. Writes are atomic (a temp file hard-linked into
 * place, so a reader never sees half a file) and never overwrite an existing file. The batch's tags,
 * period and sequence number are stored as pprof comments (`go tool pprof -comments`). A full disk
 * or an unwritable folder is a logged error and a failed result, never an exception.
 */
export function fileExporter(options: FileExporterOptions = {}): Exporter & { readonly stats: FileExporterStats; readonly directory: string } {
  return new FileExporter(options);
}

class FileExporter implements Exporter {
  readonly name: string;
  readonly directory: string;
  readonly stats: FileExporterStats = { filesWritten: 0, failures: 0 };
  private readonly prefix: string;
  private readonly log: ProblemReporter;

  constructor(options: FileExporterOptions) {
    this.name = options.name ?? 'file';
    const rawPrefix = options.prefix ?? '';
    // A prefix ending in a separator names only a folder; otherwise its last segment starts the file name.
    const prefixDir = rawPrefix.includes('/') ? (rawPrefix.endsWith('/') ? rawPrefix : dirname(rawPrefix)) : '';
    this.directory = resolve(options.directory ?? '.', prefixDir);
    this.prefix = rawPrefix.endsWith('/') ? '' : basename(rawPrefix);
    this.log = new ProblemReporter(options.logger);
  }

  async export(batch: ProfileBatch, signal: AbortSignal): Promise<ExportResult> {
    // A stopping profiler's last period is written at once: gzip and the file calls take a few
    // milliseconds on this thread for the defaults' profiles, where a process on its way out
    // otherwise waited for a dozen thread-pool round trips per file (about 10 ms more at the exit
    // of a profiled `node -e 0`).
    if (batch.period.final) return this.exportSync(batch);
    // Side by side: each file is a chain of thread-pool round trips (gzip, mkdir, open, write,
    // close, link, unlink). One after the other, the defaults' five profiles held the exit of a
    // profiled `node -e 0` for about 25 ms.
    const outcomes = await Promise.all(batch.profiles.map((profile) => this.writeProfile(batch, profile, signal)));
    return this.result(outcomes.filter((problem): problem is string => problem !== undefined));
  }

  /** Writes one profile's file; returns the problem, if any. */
  private async writeProfile(batch: ProfileBatch, profile: NamedProfile, signal: AbortSignal): Promise<string | undefined> {
    if (signal.aborted) return `abandoned before writing ${profile.type}`;
    try {
      const data = await encodePprof(profile.profile, commentsFor(batch, profile));
      await this.writeAtomic(this.fileNameFor(batch, profile), data);
      return undefined;
    } catch (error) {
      return this.failed(profile, error);
    }
  }

  exportSync(batch: ProfileBatch): ExportResult {
    const problems: string[] = [];
    for (const profile of batch.profiles) {
      try {
        const data = encodePprofSync(profile.profile, commentsFor(batch, profile));
        this.writeAtomicSync(this.fileNameFor(batch, profile), data);
      } catch (error) {
        problems.push(this.failed(profile, error));
      }
    }
    return this.result(problems);
  }

  async shutdown(): Promise<void> {}

  private fileNameFor(batch: ProfileBatch, profile: NamedProfile): string {
    const { pid, threadId } = batch.runtime;
    return `${this.prefix}${safeName(profile.type)}_${pid}_${threadId}_${compactIsoTime(batch.period.endMs)}`;
  }

  private failed(profile: NamedProfile, error: unknown): string {
    this.stats.failures++;
    const err = error as NodeJS.ErrnoException;
    const message = `file exporter could not write the ${profile.type} profile to ${this.directory}: ${err?.message ?? String(error)}`;
    this.log.report(`write-failed:${err?.code ?? 'unknown'}`, message, 'error');
    return message;
  }

  private result(problems: string[]): ExportResult {
    return problems.length === 0 ? { ok: true } : { ok: false, error: new Error(problems.join('; ')) };
  }

  private tempPath(): string {
    return join(this.directory, `.vigil-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  }

  private async writeAtomic(stem: string, data: Buffer): Promise<string> {
    await fs.promises.mkdir(this.directory, { recursive: true });
    const temp = this.tempPath();
    try {
      await fs.promises.writeFile(temp, data, { flag: 'wx', mode: 0o644 });
      for (let n = 0; n < MAX_NAME_SUFFIX; n++) {
        const target = join(this.directory, `${stem}${n === 0 ? '' : `_${n}`}.pprof`);
        try {
          await fs.promises.link(temp, target);
          this.stats.filesWritten++;
          return target;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
          if (!linkUnsupported(error)) throw error;
          // File systems without hard links: rename, after checking the name is free (a tiny race, documented).
          if (await exists(target)) continue;
          await fs.promises.rename(temp, target);
          this.stats.filesWritten++;
          return target;
        }
      }
      throw new Error(`${MAX_NAME_SUFFIX} files named ${stem}*.pprof already exist`);
    } finally {
      await fs.promises.unlink(temp).catch(() => undefined);
    }
  }

  private writeAtomicSync(stem: string, data: Buffer): string {
    fs.mkdirSync(this.directory, { recursive: true });
    const temp = this.tempPath();
    try {
      fs.writeFileSync(temp, data, { flag: 'wx', mode: 0o644 });
      for (let n = 0; n < MAX_NAME_SUFFIX; n++) {
        const target = join(this.directory, `${stem}${n === 0 ? '' : `_${n}`}.pprof`);
        try {
          fs.linkSync(temp, target);
          this.stats.filesWritten++;
          return target;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
          if (!linkUnsupported(error)) throw error;
          if (fs.existsSync(target)) continue;
          fs.renameSync(temp, target);
          this.stats.filesWritten++;
          return target;
        }
      }
      throw new Error(`${MAX_NAME_SUFFIX} files named ${stem}*.pprof already exist`);
    } finally {
      try {
        fs.unlinkSync(temp);
      } catch {
        // already renamed into place, or never created
      }
    }
  }
}

/** Tags and period facts, stored as pprof comments so a lone file still says where it came from. */
function commentsFor(batch: ProfileBatch, profile: NamedProfile): string[] {
  const tags = tagsFor(batch, profile);
  return [
    ...Object.entries(tags).map(([k, v]) => `${k}:${v}`),
    `profile_seq:${profileSeq(batch)}`,
    `start:${new Date(batch.period.startMs).toISOString()}`,
    `end:${new Date(batch.period.endMs).toISOString()}`,
  ];
}

function linkUnsupported(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS' || code === 'EXDEV';
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.promises.access(path);
    return true;
  } catch {
    return false;
  }
}

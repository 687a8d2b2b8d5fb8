import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { isGzip, Profile, safeLog, type Logger } from '@vigil/core';
import { estimateDecodedBytes } from '../intake/pprof-check';
import { MAX_DECODED_PROFILE_BYTES } from '../options';
import { replaceFileAtomically, syncDirectory, writeFileDurably } from './durable-fs';
import { ProfileCache } from './profile-cache';
import type { IncomingUpload, StoredProfileMeta, UploadMeta } from './upload-meta';

/** Upload ids: base-36 milliseconds (so they sort by arrival) and 48 random bits. */
const UPLOAD_ID = /^[0-9a-z]{8,12}-[0-9a-f]{12}$/;
const PROFILE_ID = /^([0-9a-z]{8,12}-[0-9a-f]{12})\.(\d{1,3})$/;
const PROFILE_FILE = /^\d{1,3}\.pprof$/;

const gunzipAsync = promisify(gunzip);

/**
 * Heap the decoded-profile cache may use, counted in each profile's estimated decoded size (from
 * its raw protobuf, not its gzip size: a 60 KB gzip can hold a 60 MiB string).
 */
const DECODED_CACHE_BYTES = 512 * 1024 * 1024;

/** A profile and the upload it came in. */
export interface ProfileRef {
  upload: UploadMeta;
  profile: StoredProfileMeta;
}

export interface ProfileStoreOptions {
  /** Disk budget for uploads; the oldest are deleted past it (the newest upload is always kept). */
  retentionBytes: number;
  logger: Logger;
}

/** True when `id` has the shape of a profile id the store hands out. Nothing else is ever looked up. */
export function isProfileId(id: string): boolean {
  return PROFILE_ID.test(id);
}

/**
 * Profiles on disk under `dataDir`:
 *
 *     uploads/<uploadId>/meta.json, 0.pprof, 1.pprof ...   one folder per upload, gzip pprof
 *     index.jsonl                                          one UploadMeta per line, appended
 *     tmp/                                                 uploads being written, folders being deleted
 *
 * An upload is written into tmp/, fsynced, and renamed into uploads/ in one step, so after a crash
 * it is there whole or not at all. The index is a cache of the folders' meta.json: on open, a torn
 * last line is skipped, folders missing from it are added back and entries without a folder dropped.
 * File names come only from the store itself; ids from requests are matched against the index.
 */
export class ProfileStore {
  private readonly byId = new Map<string, UploadMeta>();
  private readonly cache = new ProfileCache(DECODED_CACHE_BYTES, 1024);
  private storedBytes = 0;
  private indexHandle: FileHandle | undefined;
  private writes: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(private readonly dataDir: string, private readonly options: ProfileStoreOptions) {}

  /** Opens (creating if needed) the store in `dataDir`, recovering from any earlier crash. */
  static async open(dataDir: string, options: ProfileStoreOptions): Promise<ProfileStore> {
    const store = new ProfileStore(dataDir, options);
    await store.recover();
    return store;
  }

  private get uploadsDir(): string {
    return join(this.dataDir, 'uploads');
  }

  private get tmpDir(): string {
    return join(this.dataDir, 'tmp');
  }

  private get indexPath(): string {
    return join(this.dataDir, 'index.jsonl');
  }

  private async recover(): Promise<void> {
    await mkdir(this.uploadsDir, { recursive: true });
    // Anything in tmp/ is an upload never acknowledged or a folder half-deleted: both go.
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });

    let dirty = false;
    let text = '';
    try {
      text = await readFile(this.indexPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const lines = text.split('\n');
    for (const line of lines) {
      if (line.trim() === '') continue;
      const meta = parseMeta(line);
      if (meta) this.byId.set(meta.id, meta);
      else dirty = true; // a torn last line after a crash, or damage: the folder scan below repairs it
    }
    if (text !== '' && !text.endsWith('\n')) dirty = true;

    const folders = new Set((await readdir(this.uploadsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name));
    for (const id of [...this.byId.keys()]) {
      if (!folders.has(id)) {
        this.byId.delete(id);
        dirty = true;
      }
    }
    for (const folder of folders) {
      if (this.byId.has(folder)) continue;
      const meta = UPLOAD_ID.test(folder) ? await this.readFolderMeta(folder) : undefined;
      if (meta) {
        this.byId.set(meta.id, meta);
        dirty = true;
      } else {
        this.warn(`ignoring ${join(this.uploadsDir, folder)}: not an upload folder with a readable meta.json`);
      }
    }
    this.storedBytes = [...this.byId.values()].reduce((sum, m) => sum + uploadBytes(m), 0);
    if (dirty) await this.rewriteIndex();
    this.indexHandle = await open(this.indexPath, 'a');
    await this.enforceRetention();
  }

  private async readFolderMeta(folder: string): Promise<UploadMeta | undefined> {
    try {
      const meta = parseMeta(await readFile(join(this.uploadsDir, folder, 'meta.json'), 'utf8'));
      return meta && meta.id === folder ? meta : undefined;
    } catch {
      return undefined;
    }
  }

  private async rewriteIndex(): Promise<void> {
    const text = this.sortedUploads().map((m) => `${JSON.stringify(m)}\n`).join('');
    await replaceFileAtomically(this.indexPath, join(this.tmpDir, `index-${randomBytes(4).toString('hex')}.jsonl`), text, this.dataDir);
  }

  /**
   * Stores an upload durably and indexes it. When the promise resolves the upload is on disk
   * (fsynced) and visible to queries; if the process dies before, nothing of it remains.
   */
  add(incoming: IncomingUpload): Promise<UploadMeta> {
    const run = this.writes.then(() => this.write(incoming));
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async write(incoming: IncomingUpload): Promise<UploadMeta> {
    if (this.closed) throw new Error('profile store is closed');
    const id = `${Date.now().toString(36).padStart(9, '0')}-${randomBytes(6).toString('hex')}`;
    const profiles: StoredProfileMeta[] = incoming.profiles.map((p, index) => ({
      id: `${id}.${index}`,
      type: p.type,
      file: `${index}.pprof`,
      sampleTypes: p.sampleTypes,
      sampleCount: p.sampleCount,
      bytes: p.gzipBytes.length,
      decodedBytes: p.decodedBytes,
      compression: p.compression,
    }));
    const meta: UploadMeta = {
      v: 1,
      id,
      source: incoming.source,
      service: incoming.service,
      ...(incoming.env !== undefined ? { env: incoming.env } : {}),
      ...(incoming.version !== undefined ? { version: incoming.version } : {}),
      tags: incoming.tags,
      startMs: incoming.startMs,
      endMs: incoming.endMs,
      receivedMs: Date.now(),
      profiles,
      ...(incoming.endpointCounts ? { endpointCounts: incoming.endpointCounts } : {}),
      ...(incoming.extra ? { extra: incoming.extra } : {}),
    };
    const staging = join(this.tmpDir, id);
    await mkdir(staging);
    try {
      for (let i = 0; i < profiles.length; i++) {
        await writeFileDurably(join(staging, profiles[i]!.file), incoming.profiles[i]!.gzipBytes);
      }
      await writeFileDurably(join(staging, 'meta.json'), JSON.stringify(meta));
      await syncDirectory(staging);
      await rename(staging, join(this.uploadsDir, id));
      await syncDirectory(this.uploadsDir);
    } catch (error) {
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
    // The folder is the truth; the index line only speeds up the next start, so a failure here is not fatal.
    try {
      await this.indexHandle!.appendFile(`${JSON.stringify(meta)}\n`);
      await this.indexHandle!.sync();
    } catch (error) {
      this.warn(`could not append to ${this.indexPath} (${(error as Error).message}); it is rebuilt from the upload folders on the next start`);
    }
    this.byId.set(id, meta);
    this.storedBytes += uploadBytes(meta);
    // Just uploaded is what gets looked at next; it was decoded anyway.
    incoming.profiles.forEach((p, i) => {
      if (p.decoded) this.cache.set(profiles[i]!.id, p.decoded, p.decodedBytes);
    });
    await this.enforceRetention();
    return meta;
  }

  /** Deletes the uploads with the oldest profiles until the store fits its budget. */
  private async enforceRetention(): Promise<void> {
    if (this.storedBytes <= this.options.retentionBytes) return;
    const oldestFirst = this.sortedUploads();
    let removed = 0;
    for (const meta of oldestFirst) {
      if (this.storedBytes <= this.options.retentionBytes || this.byId.size <= 1) break;
      this.byId.delete(meta.id);
      this.storedBytes -= uploadBytes(meta);
      for (const p of meta.profiles) this.cache.delete(p.id);
      removed++;
      const doomed = join(this.tmpDir, `deleted-${meta.id}`);
      try {
        await rename(join(this.uploadsDir, meta.id), doomed);
        await rm(doomed, { recursive: true, force: true });
      } catch (error) {
        this.warn(`could not delete upload ${meta.id} for retention: ${(error as Error).message}`);
      }
    }
    // Keep the index from growing forever with deleted uploads.
    if (removed > 0 && this.indexHandle) {
      const handle = this.indexHandle;
      this.indexHandle = undefined;
      await handle.close().catch(() => undefined);
      await this.rewriteIndex();
      this.indexHandle = await open(this.indexPath, 'a');
    }
  }

  /** All uploads, oldest profile first. */
  sortedUploads(): UploadMeta[] {
    return [...this.byId.values()].sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Every stored profile, oldest first. */
  allProfiles(): ProfileRef[] {
    return this.sortedUploads().flatMap((upload) => upload.profiles.map((profile) => ({ upload, profile })));
  }

  /** The profile with this id, or undefined (also for ids of the wrong shape). */
  find(id: string): ProfileRef | undefined {
    const match = PROFILE_ID.exec(id);
    if (!match) return undefined;
    const upload = this.byId.get(match[1]!);
    const profile = upload?.profiles.find((p) => p.id === id);
    return upload && profile ? { upload, profile } : undefined;
  }

  /** The stored gzip pprof bytes of a profile. */
  async readStoredBytes(ref: ProfileRef): Promise<Buffer> {
    // Both parts were checked when the index was built: an upload id and a store-made file name.
    if (!UPLOAD_ID.test(ref.upload.id) || !PROFILE_FILE.test(ref.profile.file)) throw new Error(`corrupt index entry ${ref.profile.id}`);
    return readFile(join(this.uploadsDir, ref.upload.id, ref.profile.file));
  }

  /**
   * A profile decoded (cached). Throws for a profile whose decoded size would pass the per-profile
   * budget (stored before the intake checked it): queries skip it rather than exhaust memory.
   */
  async load(ref: ProfileRef): Promise<Profile> {
    const cached = this.cache.get(ref.profile.id);
    if (cached) return cached;
    const stored = await this.readStoredBytes(ref);
    const raw = isGzip(stored) ? await gunzipAsync(stored, { maxOutputLength: MAX_DECODED_PROFILE_BYTES }) : stored;
    const decodedBytes = estimateDecodedBytes(raw);
    if (decodedBytes > MAX_DECODED_PROFILE_BYTES) throw new Error(`profile ${ref.profile.id} would take ${decodedBytes} bytes decoded`);
    const profile = Profile.decode(raw);
    this.cache.set(ref.profile.id, profile, decodedBytes);
    return profile;
  }

  /** Bytes of profile data kept. */
  get totalBytes(): number {
    return this.storedBytes;
  }

  /** Waits for writes in flight, then releases the index file. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writes;
    const handle = this.indexHandle;
    this.indexHandle = undefined;
    await handle?.close().catch(() => undefined);
  }

  private warn(message: string): void {
    safeLog(() => this.options.logger.warn(`viewer store: ${message}`));
  }
}

function uploadBytes(meta: UploadMeta): number {
  return meta.profiles.reduce((sum, p) => sum + p.bytes, 0);
}

/** An index line or meta.json, accepted only when every id and file name has the shape the store makes. */
function parseMeta(text: string): UploadMeta | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const meta = value as UploadMeta;
  if (typeof meta !== 'object' || meta === null || meta.v !== 1 || typeof meta.id !== 'string' || !UPLOAD_ID.test(meta.id)) return undefined;
  if (typeof meta.service !== 'string' || !Number.isFinite(meta.startMs) || !Number.isFinite(meta.endMs) || !Array.isArray(meta.profiles)) return undefined;
  if (typeof meta.tags !== 'object' || meta.tags === null) return undefined;
  for (const p of meta.profiles) {
    if (typeof p !== 'object' || p === null || typeof p.type !== 'string' || !PROFILE_FILE.test(p.file) || p.id !== `${meta.id}.${p.file.split('.')[0]}`) return undefined;
    if (!Array.isArray(p.sampleTypes) || !Number.isFinite(p.bytes)) return undefined;
    if (p.decodedBytes !== undefined && !(Number.isFinite(p.decodedBytes) && p.decodedBytes >= 0)) return undefined;
  }
  return meta;
}

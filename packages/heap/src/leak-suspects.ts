import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ProfileReader, sampleTypeIndex, type Frame, type Profile } from '@vigil/core';
import { gcSummaryOf } from './gc-time-share';
import { INUSE_OBJECTS, INUSE_SPACE } from './sample-types';

/** Live memory attributed to one allocation site (the leaf frame of a sample: the allocating function). */
export interface SiteTotal {
  key: string;
  name: string;
  file: string;
  line: number;
  inuseBytes: number;
  inuseObjects: number;
  /** The stack (leaf first, `name (file:line)`) holding most of the site's bytes, up to 16 frames. */
  heaviestStack: string[];
}

/** A site whose live bytes kept growing across consecutive heap profiles. */
export interface LeakSuspect {
  /** 1 for the fastest-growing suspect. */
  rank: number;
  name: string;
  file: string;
  line: number;
  /** Least-squares growth rate of the site's live bytes. */
  growthBytesPerMinute: number;
  /** Live bytes at the last profile minus at the first of the window. */
  growthBytes: number;
  firstBytes: number;
  lastBytes: number;
  /** Profiles in the window the verdict is based on. */
  periods: number;
  /** How well a straight line explains the growth (R², 0..1). */
  linearFit: number;
  heaviestStack: string[];
}

export interface LeakSuspectOptions {
  /** Fewest consecutive profiles needed before anything is called a leak. Default 5. */
  minPeriods?: number;
  /** Smallest growth (last - first) of live bytes that counts. Default 1 MiB. */
  minGrowthBytes?: number;
  /** Smallest R² of the linear fit. Default 0.8. */
  minLinearFit?: number;
  /** Most suspects returned. Default 20. */
  maxSuspects?: number;
  /**
   * Only call growth a leak once it outlived a full (mark-compact) GC inside the window, where the
   * profiles say when those ran (Vigil's do).
   * Without this, old-space garbage piling up between two full GCs looks exactly like a leak.
   * Default true.
   */
  requireMajorGc?: boolean;
}

/** One point of a site's history: when the heap was read, and the site's totals then. */
export interface SiteSnapshot {
  /** Milliseconds since the Unix epoch at which the live heap was read. */
  timeMs: number;
  sites: ReadonlyMap<string, SiteTotal>;
  /** Full GCs during the period that ended with this snapshot; undefined when unknown. */
  majorGcs?: number;
}

const EXTERNAL_NODE_NAME = '(external)';
/** Fewest consecutive heap profiles before a site can be called a leak. */
export const DEFAULT_LEAK_MIN_PERIODS = 4;
const MAX_STACK_FRAMES = 16;

function frameText(frame: Frame): string {
  const where = frame.file ? ` (${frame.file}${frame.line ? `:${frame.line}` : ''})` : '';
  return `${frame.name || '(anonymous)'}${where}`;
}

/**
 * Live bytes and objects per allocation site of a heap profile, the `limit` largest by bytes.
 * `(external)` (Buffers and other off-heap memory, which has no allocation site) is left out.
 */
export function siteTotals(profile: Profile, limit = Infinity): Map<string, SiteTotal> {
  const bytesIndex = sampleTypeIndex(profile, INUSE_SPACE);
  if (bytesIndex < 0) throw new RangeError('not a heap profile: no inuse_space sample type');
  const objectsIndex = sampleTypeIndex(profile, INUSE_OBJECTS);
  const reader = new ProfileReader(profile);
  const sites = new Map<string, SiteTotal & { heaviestBytes: number }>();
  for (const sample of profile.sample) {
    const bytes = Number(sample.value[bytesIndex] ?? 0);
    if (bytes <= 0) continue;
    const stack = reader.stack(sample);
    const leaf = appSite(stack);
    if (!leaf || leaf.name === EXTERNAL_NODE_NAME || isProfilerFrame(leaf)) continue;
    const key = `${leaf.name}\u0000${leaf.file ?? ''}\u0000${leaf.line ?? 0}`;
    let site = sites.get(key);
    if (!site) {
      site = { key, name: leaf.name || '(anonymous)', file: leaf.file ?? '', line: leaf.line ?? 0, inuseBytes: 0, inuseObjects: 0, heaviestStack: [], heaviestBytes: -1 };
      sites.set(key, site);
    }
    site.inuseBytes += bytes;
    site.inuseObjects += objectsIndex >= 0 ? Number(sample.value[objectsIndex] ?? 0) : 0;
    if (bytes > site.heaviestBytes) {
      site.heaviestBytes = bytes;
      site.heaviestStack = stack.slice(0, MAX_STACK_FRAMES).map(frameText);
    }
  }
  const ranked = [...sites.values()].sort((a, b) => b.inuseBytes - a.inuseBytes).slice(0, limit);
  return new Map(ranked.map(({ heaviestBytes: _unused, ...site }) => [site.key, site]));
}

/**
 * The frame a leak is reported at: the innermost one in the app's own code. A leak that
 * allocates through Node's own modules (`Buffer.toString`, `JSON.parse`) is the caller's leak, and
 * `slice (node:buffer)` tells a user nothing. A stack with no frame of the app's is Node's own
 * memory (its caches, `deprecate`'s memo): undefined, never an app leak to warn about.
 */
function appSite(stack: readonly Frame[]): Frame | undefined {
  return stack.find((frame) => !isRuntimeFrame(frame));
}

/**
 * Vigil's own code (profiles being built, batches waiting for a slow backend) allocates too, and
 * that memory is the profiler's business, not a leak of the app's: a site whose allocating frame
 * is in one of our packages, or in a library only the profiler uses (pprof-format, which builds
 * and encodes every profile, and @datadog/pprof), is left out. Only the allocating frame counts,
 * since app code often runs beneath our wrappers (timers, locks).
 */
const INSTALLED_PROFILER_PACKAGE = /[\\/]node_modules[\\/](@vigil[\\/][^\\/]+[\\/]dist|vigil[\\/]dist|pprof-format|@datadog[\\/]pprof)[\\/]/;
const WORKSPACE_VIGIL_SOURCE = /^[^\\/]+[\\/](src|dist)[\\/]/;
const WORKSPACE_PACKAGES_DIR = workspacePackagesDir();

/**
 * In this repo, packages/<name>/(src|dist)/... holds our code. That is only true when this file's
 * own package is one of ours: an app that bundles us into its own CommonJS bundle has __dirname
 * in its own folder, and taking the folder two levels up for ours marked all of the app's frames
 * as the profiler's, which switched leak suspects off. (__dirname is undefined in an ESM build,
 * where the node_modules pattern above serves.)
 */
function workspacePackagesDir(): string | undefined {
  if (typeof __dirname !== 'string') return undefined;
  const packageDir = dirname(__dirname);
  try {
    const { name } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { name?: unknown };
    return typeof name === 'string' && name.startsWith('@vigil/') ? dirname(packageDir) : undefined;
  } catch {
    return undefined;
  }
}

export function isProfilerFrame(frame: Frame): boolean {
  const file = frame.file ?? '';
  if (INSTALLED_PROFILER_PACKAGE.test(file)) return true;
  if (!WORKSPACE_PACKAGES_DIR || !file.startsWith(WORKSPACE_PACKAGES_DIR)) return false;
  return WORKSPACE_VIGIL_SOURCE.test(file.slice(WORKSPACE_PACKAGES_DIR.length + 1));
}

/**
 * Node's modules (`node:buffer`) and V8's built-ins, which have no file (`push`, `set`, `map`,
 * `Uint8Array`): memory they allocate belongs to whoever called them. Reported at the built-in,
 * the profiler's own `Map.set` looked like an app leak named `set`.
 */
function isRuntimeFrame(frame: Frame): boolean {
  const file = frame.file ?? '';
  return file.startsWith('node:') || file === '';
}

/** Moment a heap profile was read: the end of the period it covers. */
function snapshotTimeMs(profile: Profile): number {
  return Number((BigInt(profile.timeNanos) + BigInt(profile.durationNanos)) / 1_000_000n);
}

/**
 * Allocation sites whose live bytes grow period after period across `heapProfiles` (consecutive
 * `space` profiles of one process, in any order), fastest growth first. A steady app yields [].
 * This is what `vigil leaks <files...>` and the viewer run.
 */
export function findLeakSuspects(heapProfiles: readonly Profile[], options: LeakSuspectOptions = {}): LeakSuspect[] {
  const snapshots = heapProfiles
    .map((profile) => ({ timeMs: snapshotTimeMs(profile), sites: siteTotals(profile), majorGcs: gcSummaryOf(profile)?.majorGcs }))
    .sort((a, b) => a.timeMs - b.timeMs);
  return suspectsFromSnapshots(snapshots, options);
}

/** The analysis behind {@link findLeakSuspects}, on per-site totals already taken. */
export function suspectsFromSnapshots(snapshots: readonly SiteSnapshot[], options: LeakSuspectOptions = {}): LeakSuspect[] {
  const { minPeriods = DEFAULT_LEAK_MIN_PERIODS, minGrowthBytes = 1024 * 1024, minLinearFit = 0.8, maxSuspects = 20, requireMajorGc = true } = options;
  if (snapshots.length < Math.max(2, minPeriods)) return [];
  // Snapshots taken in a period that had a full GC carry little old garbage: growth that outlives a
  // full GC is retained memory, which old-space garbage piling up between two GCs never is.
  const later = snapshots.slice(1);
  // A profile without the information (e.g. the out-of-memory one) counts as "no full GC seen".
  const gcKnown = requireMajorGc && later.some((s) => s.majorGcs !== undefined);
  const afterFullGc = gcKnown ? later.map((s, i) => ((s.majorGcs ?? 0) > 0 ? i + 1 : -1)).filter((i) => i > 0) : [];
  if (gcKnown && afterFullGc.length === 0) return [];
  const last = snapshots[snapshots.length - 1]!;
  const t0 = snapshots[0]!.timeMs;
  const minutes = snapshots.map((s) => (s.timeMs - t0) / 60_000);
  const found: Omit<LeakSuspect, 'rank'>[] = [];
  for (const [key, lastSite] of last.sites) {
    // A site missing from a snapshot was too small to be kept there: count it as 0.
    const bytes = snapshots.map((s) => s.sites.get(key)?.inuseBytes ?? 0);
    const growthBytes = bytes[bytes.length - 1]! - bytes[0]!;
    if (growthBytes < minGrowthBytes || growthBytes <= 0) continue;
    if (!risesSteadily(bytes)) continue;
    if (gcKnown && !survivedFullGc(bytes, afterFullGc)) continue;
    const { slope, r2 } = linearFit(minutes, bytes);
    if (!(slope > 0) || r2 < minLinearFit) continue;
    found.push({
      name: lastSite.name,
      file: lastSite.file,
      line: lastSite.line,
      growthBytesPerMinute: slope,
      growthBytes,
      firstBytes: bytes[0]!,
      lastBytes: bytes[bytes.length - 1]!,
      periods: snapshots.length,
      linearFit: r2,
      heaviestStack: lastSite.heaviestStack,
    });
  }
  return found
    .sort((a, b) => b.growthBytesPerMinute - a.growthBytesPerMinute)
    .slice(0, maxSuspects)
    .map((s, i) => ({ rank: i + 1, ...s }));
}

/**
 * True when the growth outlived a full GC: a snapshot after one is at least as high as every
 * earlier snapshot of the window (the GC took nothing back), or two snapshots after full GCs show
 * growth between them (the site also makes garbage, but what survives keeps growing).
 */
function survivedFullGc(bytes: readonly number[], afterFullGc: readonly number[]): boolean {
  const keptEverything = afterFullGc.some((k) => k >= 2 && bytes[k]! >= Math.max(...bytes.slice(0, k)));
  // Garbage piled up within one period can put a post-GC snapshot as high as the largest one-period
  // rise; growth between two post-GC snapshots must exceed that to count.
  let largestStep = 0;
  for (let i = 1; i < bytes.length; i++) largestStep = Math.max(largestStep, bytes[i]! - bytes[i - 1]!);
  const grewBetweenGcs = afterFullGc.length >= 2 && bytes[afterFullGc[afterFullGc.length - 1]!]! - bytes[afterFullGc[0]!]! > largestStep;
  return keptEverything || grewBetweenGcs;
}

/**
 * Leaked objects stay sampled, so a leaking site's live bytes never fall. Any fall disqualifies:
 * falls are what a full GC does to garbage that merely looked live (a bounded cache's evicted
 * entries), and allowing even one lets such a ramp through.
 */
function risesSteadily(bytes: readonly number[]): boolean {
  for (let i = 1; i < bytes.length; i++) if (bytes[i]! < bytes[i - 1]!) return false;
  return true;
}

function linearFit(xs: readonly number[], ys: readonly number[]): { slope: number; r2: number } {
  const n = xs.length;
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - meanX;
    const dy = ys[i]! - meanY;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0) return { slope: 0, r2: 0 };
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, r2 };
}

/**
 * The collector's bounded memory of per-site live bytes: the last `maxPeriods` snapshots, each
 * holding only the `sitesPerPeriod` largest sites.
 */
export class LeakHistory {
  private readonly snapshots: SiteSnapshot[] = [];

  constructor(private readonly maxPeriods: number, private readonly sitesPerPeriod: number) {}

  /** Records the live heap read at `timeMs`. */
  add(timeMs: number, heapProfile: Profile, majorGcs?: number): void {
    this.snapshots.push({ timeMs, sites: siteTotals(heapProfile, this.sitesPerPeriod), majorGcs });
    if (this.snapshots.length > this.maxPeriods) this.snapshots.shift();
  }

  /** Forgets everything (the live heap was reset, so old totals no longer compare). */
  clear(): void {
    this.snapshots.length = 0;
  }

  get size(): number {
    return this.snapshots.length;
  }

  suspects(options?: LeakSuspectOptions): LeakSuspect[] {
    return suspectsFromSnapshots(this.snapshots, options);
  }
}

/** A one-line description of a suspect for logs and profile comments. */
export function describeLeakSuspect(suspect: LeakSuspect): string {
  const where = suspect.file ? ` (${suspect.file}${suspect.line ? `:${suspect.line}` : ''})` : '';
  const mib = (bytes: number) => (bytes / (1024 * 1024)).toFixed(2);
  return `leak suspect #${suspect.rank}: ${suspect.name}${where} +${mib(suspect.growthBytesPerMinute)} MiB/min ` +
    `(${mib(suspect.firstBytes)} -> ${mib(suspect.lastBytes)} MiB live over ${suspect.periods} periods)`;
}

import type { ProfileRef, ProfileStore } from '../store/profile-store';
import { walkSamples } from './sample-walk';

/** One event of an `events` profile (GC pause, fs/dns/net operation...). */
export interface TimelineEvent {
  /** `gc`, `fs`, `dns`, `net`, ... (the `event` label). */
  event: string;
  startMs: number;
  endMs: number;
  durationNs: number;
  /** The other labels: `gc type`, `gc reason`, `operation`, `host`, `span id`... */
  labels: Record<string, string | number>;
}

export interface TimelineResult {
  events: TimelineEvent[];
  /** Count and total duration per event kind over the whole selection (not only the events returned). */
  summary: Record<string, { count: number; totalNs: number }>;
  /** True when more events matched than `limit`; the most recent are returned. */
  truncated: boolean;
}

const NS_PER_MS = 1_000_000;

/**
 * Events of `events` profiles (sample type `timeline/nanoseconds`, one sample per event whose
 * value is its duration, labels `event` and `end_timestamp_ns`, as dd-trace-js writes them).
 */
export async function timeline(store: ProfileStore, refs: readonly ProfileRef[], labelFilter: Record<string, string>, range: { fromMs?: number; toMs?: number }, limit = 5000): Promise<TimelineResult> {
  const events: TimelineEvent[] = [];
  const summary: Record<string, { count: number; totalNs: number }> = Object.create(null);
  const withTimeline = refs.filter(({ profile }) => profile.sampleTypes.some(([t]) => t === 'timeline'));
  await walkSamples(store, withTimeline, 'timeline', labelFilter, (_stack, durationNs, labels, ref) => {
    const { event: kind, end_timestamp_ns: endNs, ...rest } = labels;
    // Without an end time the event is placed at the end of its profile's period.
    const endMs = typeof endNs === 'number' && endNs > 0 ? endNs / NS_PER_MS : ref.upload.endMs;
    const startMs = endMs - durationNs / NS_PER_MS;
    if ((range.fromMs !== undefined && endMs < range.fromMs) || (range.toMs !== undefined && startMs > range.toMs)) return;
    const name = kind === undefined ? 'event' : String(kind);
    const entry = summary[name] ?? (summary[name] = { count: 0, totalNs: 0 });
    entry.count++;
    entry.totalNs += durationNs;
    events.push({ event: name, startMs, endMs, durationNs, labels: rest });
  });
  events.sort((a, b) => a.startMs - b.startMs);
  const truncated = events.length > limit;
  return { events: truncated ? events.slice(events.length - limit) : events, summary, truncated };
}

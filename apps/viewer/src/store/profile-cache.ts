import type { Profile } from '@vigil/core';

/**
 * Decoded profiles by id, least recently used evicted first, bounded by their estimated decoded
 * size: repeated flame graph queries over the same range decode each file once.
 */
export class ProfileCache {
  private readonly entries = new Map<string, { profile: Profile; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxDecodedBytes: number, private readonly maxEntries: number) {}

  get(id: string): Profile | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.profile;
  }

  set(id: string, profile: Profile, decodedBytes: number): void {
    this.delete(id);
    this.entries.set(id, { profile, bytes: decodedBytes });
    this.bytes += decodedBytes;
    for (const [oldId, entry] of this.entries) {
      if (this.bytes <= this.maxDecodedBytes && this.entries.size <= this.maxEntries) break;
      if (oldId === id) continue;
      this.entries.delete(oldId);
      this.bytes -= entry.bytes;
    }
  }

  delete(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.bytes -= entry.bytes;
  }
}

/**
 * Typed reading of environment variables with one rule for bad values: a single warning that
 * names the variable, the value seen and the default used, never an exception. Every package
 * reads its variables through this, so the warnings look the same everywhere.
 */
export class EnvReader {
  constructor(
    private readonly env: Readonly<NodeJS.ProcessEnv>,
    private readonly warn: (message: string) => void,
  ) {}

  /** The trimmed value, or undefined when unset or blank. */
  string(name: string): string | undefined {
    const raw = this.env[name];
    if (raw === undefined) return undefined;
    const trimmed = raw.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  /** true/false, 1/0, yes/no, on/off (any case). */
  bool(name: string, fallback: boolean): boolean {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lower)) return true;
    if (['false', '0', 'no', 'off'].includes(lower)) return false;
    this.invalid(name, raw, 'is not a boolean (true/false)', String(fallback));
    return fallback;
  }

  /** A finite number within [min, max]; `integer` rejects fractions. */
  number(name: string, fallback: number, rule: { min?: number; max?: number; integer?: boolean; unit?: string } = {}): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    const { min = -Infinity, max = Infinity, integer = false, unit } = rule;
    const wanted = `${integer ? 'an integer' : 'a number'}${unit ? ` of ${unit}` : ''}` +
      (min > -Infinity || max < Infinity ? ` in [${min}, ${max}]` : '');
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      this.invalid(name, raw, `is not ${wanted}`, String(fallback));
      return fallback;
    }
    return value;
  }

  /** One of `allowed` (case-insensitive), returned in its canonical spelling. */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const hit = allowed.find((a) => a.toLowerCase() === raw.toLowerCase());
    if (hit) return hit;
    this.invalid(name, raw, `is not one of ${allowed.join(', ')}`, fallback);
    return fallback;
  }

  /**
   * A comma- or space-separated list. With `allowed`, unknown entries are dropped with a warning;
   * a list left empty by that falls back to `fallback`.
   */
  list(name: string, fallback: readonly string[], allowed?: readonly string[]): string[] {
    const raw = this.string(name);
    if (raw === undefined) return [...fallback];
    const items = raw.split(/[\s,]+/).map((s) => s.trim().toLowerCase()).filter(Boolean);
    if (!allowed) return items;
    const unknown = items.filter((i) => !allowed.includes(i));
    const known = items.filter((i) => allowed.includes(i));
    if (unknown.length > 0) {
      const used = known.length > 0 ? known : fallback;
      this.invalid(name, raw, `has unknown entries (${unknown.join(', ')}); known: ${allowed.join(', ')}`, used.join(','));
    }
    return known.length > 0 ? [...new Set(known)] : [...fallback];
  }

  /** `key:value` pairs separated by commas or spaces (DD_TAGS syntax); bad entries are skipped with a warning. */
  tags(name: string): Record<string, string> {
    const raw = this.string(name);
    if (raw === undefined) return {};
    const { tags, rejected } = parseTags(raw);
    if (rejected.length > 0) {
      this.invalid(name, raw, `has entries that are not key:value (${rejected.join(' ')})`, 'the other entries');
    }
    return tags;
  }

  private invalid(name: string, raw: string, problem: string, used: string): void {
    const shown = raw.length > 80 ? `${raw.slice(0, 77)}...` : raw;
    this.warn(`${name}=${JSON.stringify(shown)} ${problem}; using ${used}`);
  }
}

/** Parses `k:v,k2:v2` or `k:v k2:v2`. The value is everything after the first colon. */
export function parseTags(raw: string): { tags: Record<string, string>; rejected: string[] } {
  const tags: Record<string, string> = {};
  const rejected: string[] = [];
  for (const entry of raw.split(/[\s,]+/)) {
    if (entry === '') continue;
    const colon = entry.indexOf(':');
    const key = colon > 0 ? entry.slice(0, colon).trim() : '';
    const value = colon > 0 ? entry.slice(colon + 1).trim() : '';
    if (key === '' || value === '') rejected.push(entry);
    else tags[key] = value;
  }
  return { tags, rejected };
}

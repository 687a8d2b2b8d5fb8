import { EnvReader, type Logger } from '@vigil/core';
import type { TimeSamplerOptions } from '@vigil/v8-sampler';
import { IO_WAIT_KINDS, type IoWaitKind } from './io-wait/io-wait-kinds';
import type { IoWaitTrackerOptions } from './io-wait/io-wait-tracker';

export const DEFAULT_IO_WAIT_SAMPLES_PER_SECOND = 10;
export const DEFAULT_IO_WAIT_MAX_STACKS = 2000;
export const DEFAULT_IO_WAIT_MAX_FRAMES = 32;

/** Options of the wall collector. Sampler options are shared with `cpu()`: the first started wins. */
export interface WallOptions extends TimeSamplerOptions {
  /** Record I/O waits as an `io-wait` profile; default VIGIL_IO_WAIT_ENABLED or true. */
  ioWait?: boolean;
  /** Kinds of waits to record; default VIGIL_IO_WAIT_KINDS or all (fs, dns, net, http, timer). */
  ioWaitKinds?: readonly IoWaitKind[];
  /** Operations measured per second and kind, at most (about); default VIGIL_IO_WAIT_SAMPLES_PER_SECOND or 10. */
  ioWaitSamplesPerSecond?: number;
  /** Distinct stacks kept per period; default 2000. */
  ioWaitMaxStacks?: number;
  /**
   * Also follow the tracing channels of clients that publish one (ioredis's `ioredis:command`):
   * exact per-command boundaries and names (`redis GET`), at a cost of a few microseconds of CPU
   * per command (measured in bench/socket-wait-cost.ts), so off by default; without it their
   * sockets are measured like any other. Default VIGIL_IO_WAIT_CLIENT_CHANNELS or false.
   */
  ioWaitClientChannels?: boolean;
}

export interface ResolvedIoWaitOptions extends IoWaitTrackerOptions {
  enabled: boolean;
  clientChannels: boolean;
}

/** I/O wait options merged over the environment; bad values warn through `logger` and fall back. */
export function resolveIoWaitOptions(options: WallOptions, env: Readonly<NodeJS.ProcessEnv>, logger: Logger): ResolvedIoWaitOptions {
  const reader = new EnvReader(env, (message) => logger.warn(message));
  const enabled = options.ioWait ?? reader.bool('VIGIL_IO_WAIT_ENABLED', true);
  const kinds = options.ioWaitKinds
    ? options.ioWaitKinds.filter((k) => (IO_WAIT_KINDS as readonly string[]).includes(k))
    : (reader.list('VIGIL_IO_WAIT_KINDS', IO_WAIT_KINDS, IO_WAIT_KINDS) as IoWaitKind[]);
  const samplesPerSecond = positive(options.ioWaitSamplesPerSecond, 'ioWaitSamplesPerSecond', logger)
    ?? reader.number('VIGIL_IO_WAIT_SAMPLES_PER_SECOND', DEFAULT_IO_WAIT_SAMPLES_PER_SECOND, { min: 0.01, max: 100_000 });
  const maxStacks = positive(options.ioWaitMaxStacks, 'ioWaitMaxStacks', logger) ?? DEFAULT_IO_WAIT_MAX_STACKS;
  const clientChannels = options.ioWaitClientChannels ?? reader.bool('VIGIL_IO_WAIT_CLIENT_CHANNELS', false);
  return { enabled, kinds, samplesPerSecond, maxStacks: Math.floor(maxStacks), maxFrames: DEFAULT_IO_WAIT_MAX_FRAMES, clientChannels };
}

function positive(value: number | undefined, name: string, logger: Logger): number | undefined {
  if (value === undefined) return undefined;
  if (Number.isFinite(value) && value > 0) return value;
  logger.warn(`option ${name}=${String(value)} is not a positive number; using the default`);
  return undefined;
}

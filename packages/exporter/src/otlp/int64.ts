import type protobuf from 'protobufjs/light.js';
import { protobufLight } from './protobuf-light';

/** What protobufjs accepts for a 64-bit field: a safe integer, or a Long for anything larger. */
export type Int64Input = number | protobuf.Long;

/**
 * A pprof number (pprof-format gives `number | bigint`) as a protobufjs 64-bit value. Numbers
 * past 2^53 have already lost precision upstream; they are truncated, never rejected, so one odd
 * value cannot make a whole batch unsendable.
 */
export function toInt64(value: number | bigint | undefined, unsigned = false): Int64Input {
  if (value === undefined) return 0;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && (!unsigned || value >= 0)) return value;
    if (!Number.isFinite(value)) return 0;
    return bigintToLong(BigInt(Math.trunc(value)), unsigned);
  }
  return bigintToLong(value, unsigned);
}

function bigintToLong(value: bigint, unsigned: boolean): protobuf.Long {
  const bits = BigInt.asUintN(64, value);
  return new (protobufLight().util.Long)(Number(bits & 0xffffffffn) | 0, Number(bits >> 32n) | 0, unsigned);
}

/** A decoded 64-bit value (a Long, or a number when protobufjs had no Long) as number when safe, else bigint. */
export function fromInt64(value: unknown): number | bigint {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return value;
  if (value && typeof value === 'object' && 'low' in value && 'high' in value) {
    const long = value as protobuf.Long;
    const lowBits = BigInt(long.low >>> 0);
    const highBits = BigInt(long.high >>> 0) << 32n;
    const bits = highBits | lowBits;
    const result = long.unsigned ? bits : BigInt.asIntN(64, bits);
    return Number.isSafeInteger(Number(result)) && BigInt(Number(result)) === result ? Number(result) : result;
  }
  return 0;
}

/** Sum of decoded 64-bit values, as number when safe. */
export function sumInt64(values: readonly unknown[]): number | bigint {
  let total = 0n;
  for (const v of values) total += BigInt(fromInt64(v));
  return Number.isSafeInteger(Number(total)) ? Number(total) : total;
}

/**
 * A size in bytes as a config file may write it: a plain integer, or a string with an IEC unit (`64MiB`,
 * `512 KiB`, `1GiB`, `100B`). Only binary units are taken: `MB` would leave open whether 10^6 or 2^20 is
 * meant, so it is refused with a message naming the unit to write instead.
 */
import { z } from 'zod';

const UNITS: Readonly<Record<string, number>> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };
const SIZE_TEXT = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$/;

/** Parses `text` into whole bytes; null with `why` set when it is not a size. */
export function parseByteSize(text: string): { bytes: number } | { why: string } {
  const m = SIZE_TEXT.exec(text);
  if (!m) return { why: 'must be a number of bytes or a size such as 64MiB' };
  const unit = m[2] === '' ? 'B' : m[2];
  const factor = UNITS[unit];
  if (factor === undefined) {
    const iec = unit.length === 2 && /^[kKmMgGtT][bB]$/.test(unit) ? ` (write ${unit[0].toUpperCase()}iB: sizes are binary)` : '';
    return { why: `unknown unit ${JSON.stringify(unit.slice(0, 8))}${iec}; units: ${Object.keys(UNITS).join(', ')}` };
  }
  const bytes = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(bytes)) return { why: 'is too large' };
  return { bytes };
}

/** A zod schema for a byte size between `min` and `max` bytes (inclusive), as a number or a string. */
export function byteSize(min: number, max: number) {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    let bytes: number;
    if (typeof value === 'number') {
      bytes = value;
    } else {
      const parsed = parseByteSize(value);
      if ('why' in parsed) {
        ctx.addIssue({ code: 'custom', message: parsed.why });
        return z.NEVER;
      }
      bytes = parsed.bytes;
    }
    if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number of bytes from ${min} to ${max}` });
      return z.NEVER;
    }
    return bytes;
  });
}

/**
 * A bounds-checked reader of the protobuf wire format (protobuf.dev/programming-guides/encoding), for the
 * request decoder (wire-decoder.ts). Every read is checked against the end of its enclosing message and
 * throws WireFormatError rather than reading past it; skipped fields cost no allocation.
 */

/** Wire types (the low 3 bits of a tag). 3 and 4 are the deprecated groups, which can still be skipped. */
export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const SGROUP = 3;
export const EGROUP = 4;
export const I32 = 5;

/** How deep groups (and, in the decoder, messages) may nest: bounds the recursion a hostile message can cause. */
export const MAX_DEPTH = 100;

/** Bytes that are not a well-formed message; `fields` is the path of field names to where it broke. */
export class WireFormatError extends Error {
  readonly fields: string[] = [];

  /** Called by each enclosing message on the way out, innermost first. */
  within(field: string): void {
    this.fields.unshift(field);
  }
}

/** Node's Buffer has utf8Slice (its toString's fast path); @types/node does not declare it. */
type Utf8Sliceable = Buffer & { utf8Slice(start: number, end: number): string };

const TWO_32 = 4294967296;
/** hi words below this keep a 64-bit value under 2^53, where a double is exact. */
const SAFE_HI = 0x200000;

export class WireReader {
  pos = 0;
  /** The two halves of the last 64-bit value read (varint64, fixed64), unsigned. */
  lo = 0;
  hi = 0;

  constructor(readonly buf: Buffer) {}

  /**
   * A varint's low 32 bits, unsigned: how int32, uint32, enums and tags are read. A varint may take up to
   * 10 bytes (negative int32s are sign-extended to 64 bits), the bits beyond 32 are dropped.
   */
  varint32(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < end && buf[pos] < 0x80) {
      this.pos = pos + 1;
      return buf[pos];
    }
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= end) throw this.truncated('a varint', this.pos);
      const b = buf[pos++];
      if (shift < 32) result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return result >>> 0;
      }
    }
    throw new WireFormatError(`a varint at byte ${this.pos} is longer than 10 bytes`);
  }

  /** A full 64-bit varint, into lo and hi. */
  varint64(end: number): void {
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw this.truncated('a varint', start);
      const b = buf[pos++] & 0xff;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) {
        this.pos = pos;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new WireFormatError(`a varint at byte ${start} is longer than 10 bytes`);
  }

  fixed32(end: number): number {
    this.need(4, end, 'a 32-bit value');
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Into lo and hi. */
  fixed64(end: number): void {
    this.need(8, end, 'a 64-bit value');
    this.lo = this.buf.readUInt32LE(this.pos);
    this.hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
  }

  float(end: number): number {
    this.need(4, end, 'a float');
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  double(end: number): number {
    this.need(8, end, 'a double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A length prefix, checked to fit inside the enclosing message; returns where the delimited bytes end. */
  delimited(end: number): number {
    const at = this.pos;
    this.varint64(end);
    if (this.hi !== 0 || this.lo > end - this.pos) {
      const length = this.hi === 0 ? String(this.lo) : uint64String(this.lo, this.hi);
      throw new WireFormatError(`a length of ${length} at byte ${at} runs past the end of its message (${end - this.pos} bytes left)`);
    }
    return this.pos + this.lo;
  }

  /** Length-delimited bytes, borrowed from the buffer (no copy). */
  bytes(end: number): Buffer {
    const stop = this.delimited(end);
    const out = this.buf.subarray(this.pos, stop);
    this.pos = stop;
    return out;
  }

  /** Length-delimited UTF-8 text; invalid sequences become U+FFFD, as protobufjs and Node's decoder read them. */
  string(end: number): string {
    const stop = this.delimited(end);
    // Buffer's own utf8Slice (what toString calls after checking its arguments, which delimited did).
    const out = stop === this.pos ? '' : (this.buf as Utf8Sliceable).utf8Slice(this.pos, stop);
    this.pos = stop;
    return out;
  }

  /** Skips one value of `wireType` (the field's tag already read); a group is skipped up to its matching end. */
  skip(wireType: number, fieldNumber: number, end: number, depth = 0): void {
    switch (wireType) {
      case VARINT:
        this.varint64(end);
        return;
      case I64:
        this.need(8, end, 'a 64-bit value');
        this.pos += 8;
        return;
      case LEN:
        this.pos = this.delimited(end);
        return;
      case I32:
        this.need(4, end, 'a 32-bit value');
        this.pos += 4;
        return;
      case SGROUP: {
        const opened = this.pos;
        if (depth >= MAX_DEPTH) throw new WireFormatError(`groups nest more than ${MAX_DEPTH} deep at byte ${opened}`);
        for (;;) {
          if (this.pos >= end) throw new WireFormatError(`group ${fieldNumber}, opened before byte ${opened}, is not closed before the end of its message`);
          const tag = this.tag(end);
          if ((tag & 7) === EGROUP) {
            if (tag >>> 3 !== fieldNumber) throw new WireFormatError(`group ${fieldNumber} is closed by the end of group ${tag >>> 3}`);
            return;
          }
          this.skip(tag & 7, tag >>> 3, end, depth + 1);
        }
      }
      case EGROUP:
        throw new WireFormatError(`an end of group ${fieldNumber} at byte ${this.pos} closes no group`);
      default:
        throw new WireFormatError(`field ${fieldNumber} has wire type ${wireType}, which does not exist`);
    }
  }

  /** A field tag; field number 0 is not a field. */
  tag(end: number): number {
    const at = this.pos;
    const tag = this.varint32(end);
    if (tag >>> 3 === 0) throw new WireFormatError(`the tag at byte ${at} names field 0, which is not a valid field number`);
    return tag;
  }

  private need(n: number, end: number, what: string): void {
    if (end - this.pos < n) throw this.truncated(what, this.pos);
  }

  private truncated(what: string, at: number): WireFormatError {
    return new WireFormatError(`${what} at byte ${at} runs past the end of its message`);
  }
}

/** An unsigned 64-bit value as a decimal string, exactly. */
export function uint64String(lo: number, hi: number): string {
  if (hi < SAFE_HI) return String(hi * TWO_32 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/** A signed (two's complement) 64-bit value as a decimal string, exactly. */
export function int64String(lo: number, hi: number): string {
  if (hi < SAFE_HI) return String(hi * TWO_32 + lo);
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/** A zigzag-encoded (sint64) value as a decimal string, exactly. */
export function sint64String(lo: number, hi: number): string {
  const u = (BigInt(hi) << 32n) | BigInt(lo);
  return ((u >> 1n) ^ -(u & 1n)).toString();
}

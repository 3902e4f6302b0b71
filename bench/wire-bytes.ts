/**
 * Just enough protobuf wire format for the load generator to send prebuilt messages and read back only the
 * fields it counts (an answer's id and status code). The load client shares the machine's cores with the
 * server under test, so it encodes each request once and skips decoding what it does not look at; amaas and
 * the echo ceiling are driven this same way.
 */

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** One length-delimited field (string, bytes or a nested message). */
export function lengthDelimitedField(field: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([varint((field << 3) | WIRE_LEN), varint(bytes.byteLength), bytes]);
}

export function stringField(field: number, value: string): Buffer {
  return lengthDelimitedField(field, Buffer.from(value, 'utf8'));
}

/** Calls `visit` for each top-level field of a message; length-delimited values come as subarrays. */
function forEachField(buf: Uint8Array, visit: (field: number, wireType: number, value: number | Uint8Array) => void): void {
  let pos = 0;
  const readVarint = (): number => {
    let result = 0;
    let shift = 1;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++];
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
  };
  while (pos < buf.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    if (wireType === WIRE_VARINT) visit(field, wireType, readVarint());
    else if (wireType === WIRE_LEN) {
      const len = readVarint();
      visit(field, wireType, buf.subarray(pos, pos + len));
      pos += len;
    } else if (wireType === WIRE_I64) pos += 8;
    else if (wireType === WIRE_I32) pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

/** The string in field `field` of a message ('' when absent). */
export function readStringField(buf: Buffer, field: number): string {
  let out = '';
  forEachField(buf, (f, wt, v) => {
    if (f === field && wt === WIRE_LEN) out = (v as Buffer).toString('utf8');
  });
  return out;
}

/** amaas.v1.BatchPredictResponse: id (1) and status.code (2.1); code 0 when status is absent. */
export function readBatchAnswer(buf: Buffer): { id: string; code: number } {
  let id = '';
  let code = 0;
  forEachField(buf, (f, wt, v) => {
    if (f === 1 && wt === WIRE_LEN) id = (v as Buffer).toString('utf8');
    else if (f === 2 && wt === WIRE_LEN) {
      forEachField(v as Uint8Array, (sf, swt, sv) => {
        if (sf === 1 && swt === WIRE_VARINT) code = sv as number;
      });
    }
  });
  return { id, code };
}

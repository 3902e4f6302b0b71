/**
 * A streamed reader of NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), row by row along the first
 * dimension, for the datatypes amaas serves. Only the header is parsed up front; rows are read in chunks, so a
 * file of any size costs a bounded amount of memory.
 *
 * Layout: the magic `\x93NUMPY`, a major and a minor version byte, the header length (uint16 little-endian in
 * 1.0, uint32 in 2.0 and 3.0), then the header: a Python dict literal with 'descr', 'fortran_order' and
 * 'shape' (latin-1 before 3.0, UTF-8 from 3.0), padded with spaces and a newline. The data follows.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import { AmaasError } from '../errors';
import { DataTypeInfo, NumericArray, dataTypeByName } from '../codec/dtypes';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** NumPy's type character and item size -> amaas datatype. Strings and objects have no row form here. */
const DESCR_TYPES: Record<string, string> = {
  b1: 'BOOL',
  u1: 'UINT8',
  u2: 'UINT16',
  u4: 'UINT32',
  u8: 'UINT64',
  i1: 'INT8',
  i2: 'INT16',
  i4: 'INT32',
  i8: 'INT64',
  f2: 'FP16',
  f4: 'FP32',
  f8: 'FP64',
};

export interface NpyHeader {
  readonly datatype: DataTypeInfo;
  readonly shape: readonly number[];
  /** Where the data starts. */
  readonly dataOffset: number;
  /** Elements in one row (the product of the dimensions after the first). */
  readonly rowElements: number;
  /** Whether the file's byte order differs from this machine's (then each value is swapped on read). */
  readonly swap: boolean;
}

function bad(file: string, why: string): AmaasError {
  return new AmaasError('AMAAS_ERR_INVALID_REQUEST', `${file}: not a .npy file amaas can read: ${why}`);
}

/** Parses the header dict, which NumPy writes as a Python literal; only the three keys it always has are read. */
export function parseNpyHeaderText(file: string, text: string, dataOffset: number): NpyHeader {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad(file, 'its header lacks descr, fortran_order or shape');
  if (fortran === 'True') throw bad(file, 'it is in Fortran (column-major) order; save it with C order (np.ascontiguousarray)');
  const m = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  const name = m ? DESCR_TYPES[`${m[2]}${m[3]}`] : undefined;
  if (!m || !name) throw bad(file, `its dtype ${JSON.stringify(descr)} is not one amaas serves (bool, int8-64, uint8-64, float16/32/64)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.length === 0) throw bad(file, 'it holds a scalar; rows need at least one dimension');
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw bad(file, `its shape (${shapeText}) is not a list of sizes`);
  const datatype = dataTypeByName(name)!;
  const littleFile = m[1] === '<' || (m[1] === '=' && os.endianness() === 'LE');
  const swap = datatype.itemSize > 1 && littleFile !== (os.endianness() === 'LE');
  return { datatype, shape, dataOffset, rowElements: shape.slice(1).reduce((a, b) => a * b, 1), swap };
}

export async function readNpyHeader(file: string, fh: fsp.FileHandle): Promise<NpyHeader> {
  const lead = Buffer.alloc(12);
  const { bytesRead } = await fh.read(lead, 0, 12, 0);
  if (bytesRead < 10 || !lead.subarray(0, 6).equals(MAGIC)) throw bad(file, 'it does not start with the .npy magic string');
  const major = lead[6];
  if (major < 1 || major > 3) throw bad(file, `format version ${major}.${lead[7]} is unknown (1.0, 2.0 and 3.0 are)`);
  const lengthSize = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? lead.readUInt16LE(8) : lead.readUInt32LE(8);
  if (headerLength > 1 << 20) throw bad(file, `its header claims ${headerLength} bytes`);
  const start = 8 + lengthSize;
  const header = Buffer.alloc(headerLength);
  const got = await fh.read(header, 0, headerLength, start);
  if (got.bytesRead < headerLength) throw bad(file, 'it ends inside its header');
  return parseNpyHeaderText(file, header.toString(major === 3 ? 'utf8' : 'latin1'), start + headerLength);
}

/** Reverses the bytes of each `itemSize`-byte value in place (a big-endian file on a little-endian machine). */
function swapInPlace(bytes: Buffer, itemSize: number): void {
  if (itemSize === 2) bytes.swap16();
  else if (itemSize === 4) bytes.swap32();
  else if (itemSize === 8) bytes.swap64();
}

/** One row as a typed array of its own (aligned, so it can be viewed and sent as is). */
function rowArray(h: NpyHeader, bytes: Buffer): NumericArray {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new h.datatype.array!(copy.buffer, 0, h.rowElements);
}

/** An open .npy file: its header, and its rows from `startRow` on, read `chunkRows` at a time. */
export class NpyFile {
  private constructor(
    readonly file: string,
    private readonly fh: fsp.FileHandle,
    readonly header: NpyHeader,
  ) {}

  static async open(file: string): Promise<NpyFile> {
    const fh = await fsp.open(file, 'r');
    try {
      const header = await readNpyHeader(file, fh);
      const rowBytes = header.rowElements * header.datatype.itemSize;
      const { size } = await fh.stat();
      if (size < header.dataOffset + rowBytes * header.shape[0]) throw bad(file, `it is shorter than its shape (${header.shape.join(', ')}) needs`);
      return new NpyFile(file, fh, header);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  get rows(): number {
    return this.header.shape[0];
  }

  async *read(startRow = 0, chunkRows = 1024): AsyncGenerator<NumericArray> {
    const h = this.header;
    const rowBytes = h.rowElements * h.datatype.itemSize;
    const chunk = Buffer.alloc(Math.max(1, rowBytes * chunkRows));
    for (let row = startRow; row < h.shape[0]; ) {
      const n = Math.min(chunkRows, h.shape[0] - row);
      const { bytesRead } = await this.fh.read(chunk, 0, n * rowBytes, h.dataOffset + row * rowBytes);
      if (bytesRead < n * rowBytes) throw bad(this.file, 'it ended while being read');
      if (h.swap) swapInPlace(chunk.subarray(0, n * rowBytes), h.datatype.itemSize);
      for (let i = 0; i < n; i++) yield rowArray(h, chunk.subarray(i * rowBytes, (i + 1) * rowBytes));
      row += n;
    }
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

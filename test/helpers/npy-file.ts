/** Writes .npy files for tests, as NumPy lays them out (format 1.0, 2.0 or 3.0; header padded to 64 bytes). */
import fs from 'node:fs';

export interface NpySpec {
  /** NumPy's dtype string: '<f4', '>i8', '|b1', ... */
  readonly descr: string;
  readonly shape: readonly number[];
  /** The data bytes, in the byte order `descr` names. */
  readonly data: Uint8Array;
  readonly version?: 1 | 2 | 3;
  readonly fortranOrder?: boolean;
}

export function npyBytes(spec: NpySpec): Buffer {
  const version = spec.version ?? 1;
  const shape = spec.shape.length === 1 ? `(${spec.shape[0]},)` : `(${spec.shape.join(', ')})`;
  let header = `{'descr': '${spec.descr}', 'fortran_order': ${spec.fortranOrder ? 'True' : 'False'}, 'shape': ${shape}, }`;
  const lead = 6 + 2 + (version === 1 ? 2 : 4);
  const encoding = version === 3 ? 'utf8' : 'latin1';
  const padded = Math.ceil((lead + Buffer.byteLength(header, encoding) + 1) / 64) * 64;
  header = header.padEnd(padded - lead - 1, ' ') + '\n';
  const head = Buffer.alloc(lead);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(Buffer.byteLength(header, encoding), 8);
  else head.writeUInt32LE(Buffer.byteLength(header, encoding), 8);
  return Buffer.concat([head, Buffer.from(header, encoding), Buffer.from(spec.data.buffer, spec.data.byteOffset, spec.data.byteLength)]);
}

export function writeNpy(file: string, spec: NpySpec): string {
  fs.writeFileSync(file, npyBytes(spec));
  return file;
}

/** The bytes of a typed array, little-endian as this machine (x86, ARM) holds them. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Whether weights should use 7 bits on this CPU. On x86 without VNNI, onnxruntime's u8 x s8 kernels multiply
 * with vpmaddubsw, whose int16 pair sums can saturate with full 8-bit weights; VNNI (avx512_vnni or
 * avx_vnni) accumulates in int32 and needs no headroom. Other architectures keep 8 bits.
 */
import fs from 'node:fs';

export type ReduceRangeSetting = 'auto' | 'on' | 'off';

export function cpuNeedsReducedRange(cpuinfo: string | undefined, arch: string = process.arch): boolean {
  if (arch !== 'x64' && arch !== 'ia32') return false;
  if (cpuinfo === undefined) return true; // unknown x86: keep the headroom
  const flags = cpuinfo.split('\n').find((l) => l.startsWith('flags'));
  if (!flags) return true;
  const set = new Set(flags.slice(flags.indexOf(':') + 1).trim().split(/\s+/));
  return !(set.has('avx512_vnni') || set.has('avx_vnni'));
}

function readCpuinfo(): string | undefined {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
}

export function resolveReduceRange(setting: ReduceRangeSetting): boolean {
  if (setting === 'on') return true;
  if (setting === 'off') return false;
  return cpuNeedsReducedRange(readCpuinfo());
}

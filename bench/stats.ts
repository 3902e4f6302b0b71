/** Latency summaries and process sampling shared by the bench tools. */
import fs from 'node:fs';
import { THREAD_NAMES } from '../src/pool/thread-names';

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Percentiles in milliseconds of a list of latencies in milliseconds (sorts it in place). */
export function summarize(latenciesMs: number[]): LatencySummary {
  latenciesMs.sort((a, b) => a - b);
  const at = (q: number) => (latenciesMs.length === 0 ? 0 : latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(q * latenciesMs.length))]);
  return { count: latenciesMs.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: latenciesMs.length ? latenciesMs[latenciesMs.length - 1] : 0 };
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU seconds of a process's main thread alone (the task whose id is the pid): amaas's gRPC thread. It does
 * not count the worker threads, so a change to the request path shows here undiluted by inference time.
 */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

/** CPU seconds of a server's threads by what they do (src/pool/thread-names.ts); `other`: V8's, libuv's and the rest. */
export interface ThreadCpu {
  main: number;
  worker: number;
  onnxruntime: number;
  other: number;
}

/** A process's CPU seconds split by thread: the main (gRPC) thread, then by thread name. Linux /proc. */
export function threadCpuSeconds(pid: number): ThreadCpu {
  const cpu: ThreadCpu = { main: 0, worker: 0, onnxruntime: 0, other: 0 };
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const seconds = statCpuSeconds(`/proc/${pid}/task/${tid}/stat`);
      const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      if (tid === String(pid)) cpu.main += seconds;
      else if (name === THREAD_NAMES.worker) cpu.worker += seconds;
      else if (name === THREAD_NAMES.onnxruntime) cpu.onnxruntime += seconds;
      else cpu.other += seconds;
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return cpu;
}

function statCpuSeconds(file: string): number {
  const stat = fs.readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Resident set size in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : 0;
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak and the mean. */
export function sampleRss(pid: number, everyMs = 100): { stop(): { peak: number; mean: number } } {
  const samples: number[] = [];
  const timer = setInterval(() => {
    try {
      samples.push(rssMiB(pid));
    } catch {
      /* the process is gone */
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const peak = Math.max(0, ...samples);
      const mean = samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : 0;
      return { peak, mean };
    },
  };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

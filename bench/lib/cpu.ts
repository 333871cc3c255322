import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { sleep } from './http.js';

/**
 * CPU accounting from /proc. The box has 2 cores shared with whatever else runs (tests, a browser):
 * every measurement records how much CPU *other* processes used meanwhile, and waits (bounded) for
 * a quiet machine first, so a noisy figure is visible as such instead of passing for a regression.
 */
let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try { ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { ticks = 100; }
  }
  return ticks;
}

/** User+system CPU seconds used so far by `pid` (utime and stime in /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name (which may contain spaces); utime is field 14.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** Busy CPU seconds of the whole machine, all cores (the `cpu` line of /proc/stat minus idle and iowait). */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / clockTicks();
}

const harnessSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** A window over which to tell the server's and the harness's CPU apart from everyone else's. */
export function cpuWindow(): { otherCores(serverCpuS: number): number } {
  const busy0 = machineBusySeconds();
  const own0 = harnessSeconds();
  const t0 = performance.now();
  return {
    otherCores(serverCpuS: number) {
      const wallS = (performance.now() - t0) / 1000;
      const other = machineBusySeconds() - busy0 - (harnessSeconds() - own0) - serverCpuS;
      return Math.max(0, other / wallS);
    },
  };
}

/**
 * Waits until the machine has been below `thresholdCores` busy for one 500 ms sample, for at most
 * `maxWaitS`. Returns the seconds waited and whether it got quiet.
 */
export async function waitQuiet(maxWaitS: number, thresholdCores = 0.15): Promise<{ waitedS: number; quiet: boolean }> {
  const t0 = performance.now();
  const maxSamples = Math.ceil((maxWaitS * 1000) / 500) + 1;
  for (let i = 0; i < maxSamples; i++) {
    const busy0 = machineBusySeconds();
    const own0 = harnessSeconds();
    await sleep(500);
    const cores = (machineBusySeconds() - busy0 - (harnessSeconds() - own0)) / 0.5;
    if (cores < thresholdCores) return { waitedS: (performance.now() - t0) / 1000, quiet: true };
    if (performance.now() - t0 >= maxWaitS * 1000) break;
  }
  return { waitedS: (performance.now() - t0) / 1000, quiet: false };
}

/**
 * What /proc says about processes: identity (pid plus start time, so that a
 * recycled pid is never taken for the process that had it), process groups,
 * CPU time and resident memory, and the environment marker by which a worker
 * recognises processes it started.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc's times (USER_HZ); 100 on every Linux architecture Node runs on. */
export const clockTicksPerSecond = 100;
const pageSize = 4096;

export interface ProcStat {
  pid: number;
  /** Single-letter state: R, S, D, Z (zombie), T, ... */
  state: string;
  ppid: number;
  pgid: number;
  /** User plus system CPU time, in clock ticks. */
  cpuTicks: number;
  /** Start time after boot, in clock ticks: with the pid, the process's identity. */
  startTime: number;
  /** Resident set size, bytes. */
  rssBytes: number;
}

/** Parses /proc/<pid>/stat; the command name sits in parentheses and may itself hold spaces or parentheses. */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`unreadable /proc stat line: ${text.slice(0, 80)}`);
  const pid = Number(text.slice(0, open).trim());
  // Fields after the name, numbered from 3 as in proc(5): state is 3, so index = field - 3.
  const f = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const field = (n: number) => Number(f[n - 3]);
  return {
    pid,
    state: f[0] ?? '?',
    ppid: field(4),
    pgid: field(5),
    cpuTicks: field(14) + field(15),
    startTime: field(22),
    rssBytes: field(24) * pageSize,
  };
}

/** The process's stat, or undefined when it does not exist (or is a zombie: it no longer runs). */
export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  try {
    const stat = parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
    return stat.state === 'Z' ? undefined : stat;
  } catch {
    return undefined;
  }
}

/** True when `pid` is the very process that started at `startTime` and it still runs. */
export async function isSameProcess(pid: number, startTime: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat !== undefined && stat.startTime === startTime;
}

async function numericEntries(): Promise<number[]> {
  const names = await readdir('/proc');
  return names.filter((name) => /^\d+$/.test(name)).map(Number);
}

/** Every live process's stat (one pass over /proc). */
export async function listProcesses(): Promise<ProcStat[]> {
  const stats = await Promise.all((await numericEntries()).map((pid) => readProcStat(pid)));
  return stats.filter((s): s is ProcStat => s !== undefined);
}

/**
 * Processes whose environment holds `name=value`: how a worker finds every
 * process it started, also those that left their process group.
 */
export async function processesWithEnv(name: string, value: string): Promise<ProcStat[]> {
  const needle = Buffer.from(`${name}=${value}\0`);
  const found: ProcStat[] = [];
  for (const pid of await numericEntries()) {
    if (pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = await readFile(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    // Entries are NUL-terminated; match at the start or after a NUL so that `XNAME=` never matches.
    const at = environ.indexOf(needle);
    if (at < 0 || (at > 0 && environ[at - 1] !== 0)) continue;
    const stat = await readProcStat(pid);
    if (stat) found.push(stat);
  }
  return found;
}

/** The value of one variable in a process's environment, or undefined. */
export async function envOf(pid: number, name: string): Promise<string | undefined> {
  let environ: string;
  try {
    environ = await readFile(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return undefined;
  }
  for (const entry of environ.split('\0')) {
    if (entry.startsWith(`${name}=`)) return entry.slice(name.length + 1);
  }
  return undefined;
}

/** Sends a signal, ignoring a process (or group: negative pid) that is already gone. Refuses 0, -1 and -0. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  if (pid === 0 || pid === -1 || Object.is(pid, -0))
    throw new Error(`refusing to signal ${pid}: that is not one instance`);
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

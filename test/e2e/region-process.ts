/**
 * Runs the region launcher the way `pnpm start` does (compiled, as a child
 * process) in a temporary home, for scenarios that need a whole region.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type RegionFile, readRegionFile, regionFilePath } from '@nimbus/runtime';
import { waitUntil } from '@nimbus/testkit';

const launcher = resolve(import.meta.dirname, '../../services/region/dist/main.js');

export interface RegionProcess {
  home: string;
  file: RegionFile;
  child: ChildProcess;
  /** Sends SIGINT (Ctrl-C) and resolves with the exit code. */
  interrupt(timeoutMs?: number): Promise<number | null>;
  /** Stops the region if it still runs (Ctrl-C, then SIGKILL) and removes its home. */
  dispose(): Promise<void>;
  log(): string;
}

/** Stops a launcher however it is doing, then removes its home: what every test ends with. */
async function disposeRegion(
  child: ChildProcess,
  exited: Promise<number | null>,
  home: string,
): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
  await rm(home, { recursive: true, force: true });
}

/** Starts `pnpm start`'s launcher in a new temporary home, or in `env.NIMBUS_HOME` when given. */
export async function startRegionProcess(env: NodeJS.ProcessEnv = {}): Promise<RegionProcess> {
  const home = env.NIMBUS_HOME ?? (await mkdtemp(join(tmpdir(), 'nimbus-region-')));
  const logPath = join(home, `launcher-${Date.now()}.log`);
  const child = spawn(process.execPath, [launcher], {
    env: { ...process.env, NIMBUS_LOG_LEVEL: 'info', ...env, NIMBUS_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logPath);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const readLog = () => readFileSync(logPath, 'utf8');
  let file: RegionFile | undefined;
  try {
    // waitUntil takes a throw for "not yet", so an early exit ends the wait as a value.
    const outcome = await waitUntil(
      () => {
        if (child.exitCode !== null || child.signalCode !== null) return 'exited';
        // A region killed before may have left its file: only this launcher's own counts.
        file = readRegionFile(regionFilePath(home));
        return file?.pid === child.pid && 'ready';
      },
      { timeoutMs: 60_000, intervalMs: 100, message: 'the region to write region.json' },
    );
    if (outcome === 'exited') throw new Error(`region exited with ${child.exitCode}:\n${readLog()}`);
  } catch (error) {
    await disposeRegion(child, exited, home);
    throw error;
  }
  return {
    home,
    file: file as RegionFile,
    child,
    log: readLog,
    dispose: () => disposeRegion(child, exited, home),
    interrupt: async (timeoutMs = 60_000) => {
      child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`region did not stop within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Whether a process runs; a zombie (dead, not yet reaped by its new parent) does not. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

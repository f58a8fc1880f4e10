/**
 * Runs the region launcher the way `pnpm start` does (compiled, as a child
 * process) in a temporary home, for scenarios that need a whole region.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
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
  log(): string;
}

export async function startRegionProcess(env: NodeJS.ProcessEnv = {}): Promise<RegionProcess> {
  const home = await mkdtemp(join(tmpdir(), 'nimbus-region-'));
  const logPath = join(home, 'launcher.log');
  const child = spawn(process.execPath, [launcher], {
    env: { ...process.env, NIMBUS_HOME: home, NIMBUS_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logPath);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const readLog = () => readFileSync(logPath, 'utf8');
  let file: RegionFile | undefined;
  await waitUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`region exited with ${child.exitCode}:\n${readLog()}`);
      file = readRegionFile(regionFilePath(home));
      return file !== undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100, message: 'the region to write region.json' },
  );
  return {
    home,
    file: file as RegionFile,
    child,
    log: readLog,
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

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A region killed hard (SIGKILL, a closed terminal) leaves its services, etcd
 * and nats-server running. The next start finds their pids in region.json
 * and stops them, after checking each pid still belongs to such a process.
 */
import { readFileSync } from 'node:fs';
import { waitUntil } from '@nimbus/testkit';
import type { Logger } from 'pino';

export interface RecordedProcesses {
  /** The region's own pid. */
  pid: number;
  /** Pids of its services and backing servers. */
  children: number[];
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

function isOurs(pid: number): boolean {
  const cmd = commandLine(pid);
  return cmd !== undefined && /node|etcd|nats-server/.test(cmd);
}

export class RegionAlreadyRunningError extends Error {
  override name = 'RegionAlreadyRunningError';
}

export async function stopLeftovers(recorded: RecordedProcesses | undefined, logger: Logger): Promise<void> {
  if (!recorded) return;
  if (recorded.pid !== process.pid && isOurs(recorded.pid)) {
    throw new RegionAlreadyRunningError(
      `a region is already running (pid ${recorded.pid}); stop it with Ctrl-C in its terminal or \`kill ${recorded.pid}\``,
    );
  }
  const alive = recorded.children.filter(isOurs);
  if (alive.length === 0) return;
  logger.warn({ pids: alive }, 'stopping processes left by a region that did not shut down');
  for (const pid of alive) process.kill(pid, 'SIGKILL');
  await waitUntil(() => alive.every((pid) => !isOurs(pid)), {
    timeoutMs: 10_000,
    message: `leftover processes ${alive.join(', ')} to exit`,
  });
}

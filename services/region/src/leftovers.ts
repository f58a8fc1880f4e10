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

function procText(pid: number, file: 'cmdline' | 'environ'): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/**
 * Whether `pid` is still one of the region's processes, and not an unrelated
 * process that got the pid since: etcd and nats-server carry the home in
 * their arguments, services in their environment (the launcher sets NIMBUS_HOME).
 */
function isOurs(pid: number, home: string): boolean {
  return (
    procText(pid, 'cmdline').includes(`${home}/`) || procText(pid, 'environ').includes(`NIMBUS_HOME=${home} `)
  );
}

function isLauncher(pid: number): boolean {
  return /region\/(dist|src)\/main\.[jt]s/.test(procText(pid, 'cmdline'));
}

export class RegionAlreadyRunningError extends Error {
  override name = 'RegionAlreadyRunningError';
}

export async function stopLeftovers(
  recorded: RecordedProcesses | undefined,
  home: string,
  logger: Logger,
): Promise<void> {
  if (!recorded) return;
  if (recorded.pid !== process.pid && isLauncher(recorded.pid)) {
    throw new RegionAlreadyRunningError(
      `a region is already running (pid ${recorded.pid}); stop it with Ctrl-C in its terminal or \`kill ${recorded.pid}\``,
    );
  }
  const alive = recorded.children.filter((pid) => isOurs(pid, home));
  if (alive.length === 0) return;
  logger.warn({ pids: alive }, 'stopping processes left by a region that did not shut down');
  for (const pid of alive) process.kill(pid, 'SIGKILL');
  await waitUntil(() => alive.every((pid) => !isOurs(pid, home)), {
    timeoutMs: 10_000,
    message: `leftover processes ${alive.join(', ')} to exit`,
  });
}

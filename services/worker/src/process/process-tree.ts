/**
 * Ending an instance's process tree: every process in its process group and
 * (when it has them) in its cgroups, which also holds daemons that left the
 * group. SIGTERM first, SIGKILL to whatever is left after the grace period.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroupPids, type InstanceCgroupPaths } from './cgroups.js';
import { listProcesses, signal } from './proc.js';

export interface ProcessTree {
  /** The init's pid, which is also the process group id; absent when only the cgroups are known. */
  pgid?: number;
  cgroups?: InstanceCgroupPaths;
}

/** Live (non-zombie) pids of the tree. */
export async function treePids(tree: ProcessTree): Promise<number[]> {
  const pids = new Set<number>();
  // The cgroups hold the whole tree (the init joins them before it starts anything), and reading
  // them is cheap; only without them is /proc scanned for the process group.
  if (tree.cgroups) return cgroupPids(tree.cgroups);
  // Never group 0 or below: kill(0) and kill(-0) would signal the worker's own group.
  const pgid = tree.pgid !== undefined && tree.pgid > 0 ? tree.pgid : undefined;
  if (pgid !== undefined) for (const p of await listProcesses()) if (p.pgid === pgid) pids.add(p.pid);
  return [...pids];
}

async function signalTree(tree: ProcessTree, sig: NodeJS.Signals): Promise<void> {
  if (tree.pgid !== undefined && tree.pgid > 0) signal(-tree.pgid, sig);
  for (const pid of await treePids(tree)) signal(pid, sig);
}

async function gone(tree: ProcessTree, deadline: number): Promise<boolean> {
  for (;;) {
    if ((await treePids(tree)).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

/**
 * Ends the tree; resolves once nothing of it runs. `graceMs` 0 sends SIGKILL
 * at once. Rejects only if processes survive SIGKILL (stuck in the kernel).
 */
export async function endTree(tree: ProcessTree, graceMs: number): Promise<void> {
  if (graceMs > 0) {
    await signalTree(tree, 'SIGTERM');
    if (await gone(tree, Date.now() + graceMs)) return;
  }
  await signalTree(tree, 'SIGKILL');
  if (await gone(tree, Date.now() + 5_000)) return;
  throw new Error(`processes of group ${tree.pgid} survived SIGKILL: ${(await treePids(tree)).join(', ')}`);
}

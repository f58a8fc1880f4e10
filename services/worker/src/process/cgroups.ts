/**
 * Per-instance limits through cgroups v1: one group per instance in each of
 * the cpu, cpuacct, memory, pids and blkio hierarchies (blkio for the root
 * volume's IOPS throttle), nested under the worker's own
 * group there (so a worker that is itself limited keeps its instances inside
 * its limit). CPU: a CFS quota of vCPUs x period; memory: the instance
 * type's memory as `memory.limit_in_bytes`; pids: `pids.max`.
 *
 * On a host without these hierarchies, or where the worker may not create
 * groups (not root, read-only /sys), `probeCgroups` says why once and the
 * runtime runs instances without limits, reporting them as not enforced.
 */
import { access, mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const cgroupControllers = ['cpu', 'cpuacct', 'memory', 'pids', 'blkio'] as const;
export type CgroupController = (typeof cgroupControllers)[number];

export const cfsPeriodUs = 100_000;

export interface InstanceLimitsSpec {
  vcpus: number;
  memoryMiB: number;
  pidsMax: number;
}

/** The instance's group directory per controller. */
export type InstanceCgroupPaths = Record<CgroupController, string>;

export interface CgroupSupport {
  available: boolean;
  /** Why not, when not available: said once in the log and in every instance's observed limits. */
  reason?: string;
  /** Per controller: the directory under which this worker makes its instances' groups. */
  parents?: Record<CgroupController, string>;
}

/** The worker's own group in each v1 hierarchy, from /proc/self/cgroup (lines `id:controllers:path`). */
export function ownCgroups(procSelfCgroup: string): Partial<Record<CgroupController, string>> {
  const own: Partial<Record<CgroupController, string>> = {};
  for (const line of procSelfCgroup.split('\n')) {
    const [, controllers, path] = line.split(':');
    if (!controllers || path === undefined) continue;
    for (const controller of controllers.split(',')) {
      if ((cgroupControllers as readonly string[]).includes(controller)) {
        own[controller as CgroupController] = path;
      }
    }
  }
  return own;
}

/**
 * Checks that each controller's v1 hierarchy is mounted and writable, and
 * makes `<root>/<controller>/<own group>/<groupName>` for this worker.
 */
export async function probeCgroups(groupName: string, root = '/sys/fs/cgroup'): Promise<CgroupSupport> {
  let own: Partial<Record<CgroupController, string>>;
  try {
    own = ownCgroups(await readFile('/proc/self/cgroup', 'utf8'));
  } catch {
    return { available: false, reason: 'cannot read /proc/self/cgroup' };
  }
  const parents = {} as Record<CgroupController, string>;
  for (const controller of cgroupControllers) {
    const ownPath = own[controller];
    if (ownPath === undefined) {
      return {
        available: false,
        reason: `the cgroup v1 '${controller}' controller is not mounted (cgroups v2 only, or not at ${root})`,
      };
    }
    const parent = join(root, controller, ownPath, groupName);
    try {
      await access(join(root, controller, ownPath, 'cgroup.procs'));
      await mkdir(parent, { recursive: true });
    } catch (error) {
      return {
        available: false,
        reason: `cannot create cgroups under ${join(root, controller, ownPath)} (${(error as Error).message})`,
      };
    }
    parents[controller] = parent;
  }
  return { available: true, parents };
}

/** Makes the instance's groups and writes its limits; returns their directories. */
export async function createInstanceCgroups(
  parents: Record<CgroupController, string>,
  instanceId: string,
  limits: InstanceLimitsSpec,
): Promise<InstanceCgroupPaths> {
  const paths = instanceCgroupPaths(parents, instanceId);
  for (const controller of cgroupControllers) await mkdir(paths[controller], { recursive: true });
  await writeFile(join(paths.cpu, 'cpu.cfs_period_us'), String(cfsPeriodUs));
  await writeFile(join(paths.cpu, 'cpu.cfs_quota_us'), String(Math.round(limits.vcpus * cfsPeriodUs)));
  await writeFile(join(paths.memory, 'memory.limit_in_bytes'), String(limits.memoryMiB * 1024 * 1024));
  await writeFile(join(paths.pids, 'pids.max'), String(limits.pidsMax));
  return paths;
}

/** Files a process writes its pid into to join every group (the instance's init does it before anything runs). */
export function procsFiles(paths: InstanceCgroupPaths): string[] {
  return cgroupControllers.map((controller) => join(paths[controller], 'cgroup.procs'));
}

/** Every pid in the instance's groups (the pids hierarchy sees them all, daemons that left the process group too). */
export async function cgroupPids(paths: InstanceCgroupPaths): Promise<number[]> {
  try {
    const text = await readFile(join(paths.pids, 'cgroup.procs'), 'utf8');
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map(Number);
  } catch {
    return [];
  }
}

export interface CgroupUsage {
  cpuNanoseconds: number;
  memoryBytes: number;
}

/** CPU time (cpuacct.usage) and resident memory (rss from memory.stat) of the instance's groups. */
export async function cgroupUsage(paths: InstanceCgroupPaths): Promise<CgroupUsage | undefined> {
  try {
    const cpu = Number((await readFile(join(paths.cpuacct, 'cpuacct.usage'), 'utf8')).trim());
    const stat = await readFile(join(paths.memory, 'memory.stat'), 'utf8');
    const rss = /^total_rss (\d+)$/m.exec(stat) ?? /^rss (\d+)$/m.exec(stat);
    return { cpuNanoseconds: cpu, memoryBytes: rss?.[1] ? Number(rss[1]) : 0 };
  } catch {
    return undefined;
  }
}

/** Instance ids that have a group under the worker's groups (any controller). */
export async function instanceCgroupIds(parents: Record<CgroupController, string>): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const controller of cgroupControllers) {
    const entries = await readdir(parents[controller], { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory()) ids.add(entry.name);
  }
  return ids;
}

/** The group directories an instance would have under the worker's groups. */
export function instanceCgroupPaths(
  parents: Record<CgroupController, string>,
  instanceId: string,
): InstanceCgroupPaths {
  const paths = {} as InstanceCgroupPaths;
  for (const controller of cgroupControllers) paths[controller] = join(parents[controller], instanceId);
  return paths;
}

/** Removes the worker's own groups when no instance group is left in them (a closing worker keeping instances keeps them). */
export async function removeWorkerCgroups(parents: Record<CgroupController, string>): Promise<void> {
  for (const controller of cgroupControllers) {
    try {
      await rmdir(parents[controller]);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EBUSY' && code !== 'ENOTEMPTY') throw error;
    }
  }
}

/** Removes the instance's groups; they must be empty (every process gone). */
export async function removeInstanceCgroups(paths: InstanceCgroupPaths): Promise<void> {
  for (const controller of cgroupControllers) {
    try {
      await rmdir(paths[controller]);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

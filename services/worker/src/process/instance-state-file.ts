/**
 * The worker's record of each instance it runs, one JSON file per instance
 * under `<home>/instances/<id>/state.json`, written (atomically: temp file,
 * then rename) before each step that a restarted worker must know about. The
 * process is named by pid and start time, so a pid the kernel has handed to
 * another process since is never mistaken for the instance.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstanceExit, InstancePhase } from '../runtime/instance-runtime.js';
import type { InstanceSpec } from '../runtime/instance-spec.js';
import type { InstanceCgroupPaths } from './cgroups.js';
import type { MountedRoot } from './root-volumes.js';

export interface InstanceState {
  spec: InstanceSpec;
  phase: InstancePhase;
  /** The init process (process group leader) and its start time in clock ticks after boot. */
  pid?: number;
  startTime?: number;
  bootCount: number;
  bootedAt?: Date;
  exit?: InstanceExit;
  root?: MountedRoot;
  cgroups?: InstanceCgroupPaths;
  metadataPort?: number;
}

interface StoredState extends Omit<InstanceState, 'spec' | 'bootedAt' | 'exit'> {
  spec: Omit<InstanceSpec, 'userData' | 'launchTime'> & { userData: string; launchTime: string };
  bootedAt?: string;
  exit?: Omit<InstanceExit, 'at'> & { at: string };
}

function toStored(state: InstanceState): StoredState {
  const { spec, bootedAt, exit, ...rest } = state;
  return {
    ...rest,
    spec: {
      ...spec,
      userData: Buffer.from(spec.userData).toString('base64'),
      launchTime: spec.launchTime.toISOString(),
    },
    ...(bootedAt ? { bootedAt: bootedAt.toISOString() } : {}),
    ...(exit ? { exit: { ...exit, at: exit.at.toISOString() } } : {}),
  };
}

function fromStored(stored: StoredState): InstanceState {
  const { spec, bootedAt, exit, ...rest } = stored;
  return {
    ...rest,
    spec: {
      ...spec,
      userData: new Uint8Array(Buffer.from(spec.userData, 'base64')),
      launchTime: new Date(spec.launchTime),
    },
    ...(bootedAt ? { bootedAt: new Date(bootedAt) } : {}),
    ...(exit ? { exit: { ...exit, at: new Date(exit.at) } } : {}),
  };
}

export interface InstanceStateFiles {
  /** The instance's own directory (state, console, user data script, exit status). */
  dirOf(instanceId: string): string;
  write(state: InstanceState): Promise<void>;
  readAll(): Promise<InstanceState[]>;
  /** Removes the instance's whole directory. */
  remove(instanceId: string): Promise<void>;
}

export function createInstanceStateFiles(instancesDir: string): InstanceStateFiles {
  const dirOf = (instanceId: string) => join(instancesDir, instanceId);
  return {
    dirOf,
    async write(state) {
      const dir = dirOf(state.spec.instanceId);
      await mkdir(dir, { recursive: true });
      const temp = join(dir, 'state.json.tmp');
      await writeFile(temp, JSON.stringify(toStored(state)));
      await rename(temp, join(dir, 'state.json'));
    },
    async readAll() {
      let names: string[];
      try {
        names = await readdir(instancesDir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const states: InstanceState[] = [];
      for (const name of names) {
        try {
          states.push(fromStored(JSON.parse(await readFile(join(instancesDir, name, 'state.json'), 'utf8'))));
        } catch {
          // A directory without a readable state file holds nothing to adopt; the leftover sweep finds its processes.
        }
      }
      return states;
    },
    async remove(instanceId) {
      await rm(dirOf(instanceId), { recursive: true, force: true });
    },
  };
}

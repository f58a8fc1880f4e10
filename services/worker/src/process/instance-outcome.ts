/**
 * How an instance ended, in the runtime's terms: `exited` when its boot
 * process exited with 0 (the instance shut itself down), else `crashed`,
 * with a reason a user can read. The init's exit file says best (it holds the
 * boot process's status); else what the kernel said of the init (when this
 * worker was its parent); else the status is unknown (it ended while no
 * worker watched).
 */
import { readFile } from 'node:fs/promises';
import type { InstanceExit } from '../runtime/instance-runtime.js';
import { cannotJoinCgroupsStatus, describeStatus } from './instance-init.js';

/** What Node's `exit` event said of the init. */
export interface KernelExit {
  code: number | null;
  signal: string | null;
}

export interface InstanceOutcome {
  phase: 'exited' | 'crashed';
  exit: InstanceExit;
}

export async function instanceOutcome(exitFile: string, fallback?: KernelExit): Promise<InstanceOutcome> {
  let status: number | undefined;
  try {
    const text = (await readFile(exitFile, 'utf8')).trim();
    if (text !== '') status = Number(text);
  } catch {
    // No file: the init itself was killed (by a signal or the OOM killer) before it could write one.
  }
  const at = new Date();
  if (status === undefined && fallback?.code != null) status = fallback.code;
  if (status !== undefined) {
    if (status === 0) return { phase: 'exited', exit: { code: 0, reason: 'the boot process exited', at } };
    if (status === cannotJoinCgroupsStatus) {
      return {
        phase: 'crashed',
        exit: { code: status, reason: 'the instance could not join its cgroups', at },
      };
    }
    const described = describeStatus(status);
    const how = described.signal ? `was killed by ${described.signal}` : `exited with status ${status}`;
    return { phase: 'crashed', exit: { ...described, reason: `the boot process ${how}`, at } };
  }
  if (fallback?.signal) {
    return {
      phase: 'crashed',
      exit: { signal: fallback.signal, reason: `the instance's init was killed by ${fallback.signal}`, at },
    };
  }
  return {
    phase: 'crashed',
    exit: { reason: 'the instance ended while no worker watched it; its exit status is unknown', at },
  };
}

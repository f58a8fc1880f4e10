/**
 * Which generation of each instance's desired state the worker carried out,
 * and which reboot generation: kept in `<home>/agent/<id>.json` (process
 * runtime) so that a restarted worker does not reboot an instance again for
 * a RebootInstances it already carried out. Without a directory (fake
 * runtime, whose instances do not outlive the worker) they live in memory only.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActedGenerations } from './observed-report.js';

export interface ActedStore {
  get(instanceId: string): ActedGenerations | undefined;
  set(instanceId: string, acted: ActedGenerations): Promise<void>;
  delete(instanceId: string): Promise<void>;
}

export async function openActedStore(dir: string | undefined): Promise<ActedStore> {
  const acted = new Map<string, ActedGenerations>();
  if (dir) {
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json')) continue;
      try {
        const stored = JSON.parse(await readFile(join(dir, name), 'utf8')) as Record<string, string>;
        acted.set(name.slice(0, -'.json'.length), {
          generation: BigInt(stored.generation ?? '0'),
          rebootGeneration: BigInt(stored.rebootGeneration ?? '0'),
        });
      } catch {
        // An unreadable record counts as none: the instance's generations are then taken as carried out.
      }
    }
  }
  return {
    get: (instanceId) => acted.get(instanceId),
    async set(instanceId, value) {
      const previous = acted.get(instanceId);
      acted.set(instanceId, value);
      if (!dir) return;
      if (previous?.generation === value.generation && previous.rebootGeneration === value.rebootGeneration)
        return;
      const path = join(dir, `${instanceId}.json`);
      const text = JSON.stringify({
        generation: String(value.generation),
        rebootGeneration: String(value.rebootGeneration),
      });
      await writeFile(`${path}.tmp`, text);
      await rename(`${path}.tmp`, path);
    },
    async delete(instanceId) {
      acted.delete(instanceId);
      if (dir) await rm(join(dir, `${instanceId}.json`), { force: true });
    },
  };
}

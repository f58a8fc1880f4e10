/**
 * The block-storage gauges on the service's Prometheus registry, computed at
 * each scrape from the store (and, for BurstBalance, the credit files beside
 * the volumes' files):
 *
 *   nimbus_block_storage_volumes{state, volume_type}                      volumes
 *   nimbus_block_storage_volume_burst_balance_percent{account_id, volume_id}  gp2 volumes that burst
 */
import { createRecords } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import { Gauge, type Registry } from 'prom-client';
import { burstBalanceOf } from '../api/volume-performance-view.js';
import { storageKeys } from '../state/storage-keys.js';
import type { VolumeRecord } from '../state/volume-records.js';
import type { VolumeFiles } from '../volume-files/volume-files.js';

export function registerStorageMetrics(
  registry: Registry,
  deps: { store: Store; files: Pick<VolumeFiles, 'pathOf'>; now: () => number },
): void {
  const volumes = createRecords<VolumeRecord>(deps.store);
  const all = async () => (await volumes.list(storageKeys.allVolumes())).map((r) => r.value);

  new Gauge({
    name: 'nimbus_block_storage_volumes',
    help: 'Volumes of every account, by state and type.',
    labelNames: ['state', 'volume_type'],
    registers: [registry],
    async collect() {
      const counts = new Map<string, { state: string; volume_type: string; n: number }>();
      for (const v of await all()) {
        const key = `${v.state}/${v.volumeType}`;
        const entry = counts.get(key) ?? { state: v.state, volume_type: v.volumeType, n: 0 };
        entry.n += 1;
        counts.set(key, entry);
      }
      this.reset();
      for (const { state, volume_type, n } of counts.values()) this.set({ state, volume_type }, n);
    },
  });

  new Gauge({
    name: 'nimbus_block_storage_volume_burst_balance_percent',
    help: "The gp2 I/O credit bucket in percent (EBS's BurstBalance), as the workers' IOPS limiters counted it.",
    labelNames: ['account_id', 'volume_id'],
    registers: [registry],
    async collect() {
      const now = deps.now();
      const balances = await Promise.all(
        (await all())
          .filter((v) => v.state === 'available' || v.state === 'in-use')
          .map(async (v) => ({ v, balance: await burstBalanceOf(v, deps.files.pathOf(v.volumeId), now) })),
      );
      this.reset();
      for (const { v, balance } of balances) {
        if (balance !== undefined) this.set({ account_id: v.ownerId, volume_id: v.volumeId }, balance);
      }
    },
  });
}

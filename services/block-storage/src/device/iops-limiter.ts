/**
 * Enforces a volume's IOPS on one loop device for one cgroup, with the cgroup
 * v1 blkio throttle. Provisioned volumes get a fixed limit. A gp2 volume
 * under 1 TiB runs EBS's burst bucket: it starts full, earns credits at the
 * baseline rate, and spends one per I/O the device really serviced for the
 * cgroup (blkio.throttle.io_serviced), read every interval; while credits
 * last the limit is the burst (3,000), once the bucket is empty the baseline,
 * so a 100 GiB gp2 volume drops to 300 IOPS. Bursting resumes when the bucket
 * holds at least one interval of burst above baseline, so the limit does not
 * flap on a few credits.
 *
 * The gp2 bucket is kept in `<volume file>.credits` (see burst-credits.ts):
 * written every tick, read back at the next attach, read by block storage for
 * the volume's BurstBalance.
 *
 * The blkio limit applies to reads and writes each, so a mixed load can do up
 * to twice the limit in total (cgroup v1 has no combined IOPS limit).
 */
import { readServicedIos, writeBpsLimit, writeIopsLimit } from './blkio-cgroup.js';
import { backingFileOf, creditFileOf, creditsAt, readCreditFile, writeCreditFile } from './burst-credits.js';
import { type IopsPolicy, iopsPolicyOf, type VolumePerformance } from './iops-policy.js';
import type { DeviceNumber } from './loop-device.js';

export interface IopsLimiterOptions {
  /** The cgroup directory of the processes that use the volume (in the blkio hierarchy). */
  cgroup: string;
  /** The loop device's major:minor. */
  device: DeviceNumber;
  volume: VolumePerformance;
  /** The gp2 bucket's size; default EBS's 5.4 million credits. Tests pass a small one. */
  bucketCredits?: number;
  /** Credits at start; default what the credit file holds (with what was earned since), else a full bucket, as for a new volume. */
  initialCredits?: number;
  /**
   * Where the gp2 bucket is kept; default `<volume file>.credits`, the volume
   * file found behind the loop device (sysfs); null: kept in memory only.
   */
  creditFile?: string | null;
  /** The wall clock for the credit file, epoch ms; default Date.now. */
  wallClock?: () => number;
  /** The clock, ms; default performance.now. */
  now?: () => number;
  /** How often `run` reads the serviced I/Os and adjusts the limit; default 1,000 ms. */
  intervalMs?: number;
}

export interface IopsLimiter {
  readonly policy: IopsPolicy;
  /** The IOPS limit in force; 0 when unlimited. */
  readonly limit: number;
  /** gp2: the credits left. */
  readonly credits: number;
  /** gp2: the bucket in percent (EBS's BurstBalance); 100 for the others. */
  readonly burstBalance: number;
  /** gp2: where the bucket is kept, if anywhere. */
  readonly creditFile: string | undefined;
  /** Reads the serviced I/Os since the last tick, updates the bucket and the limit. */
  tick(): Promise<void>;
  /** Ticks every interval until `signal` aborts; rejects if a tick fails (e.g. the cgroup vanished). */
  run(signal: AbortSignal): Promise<void>;
  /** Removes the limits from the cgroup. */
  clear(): Promise<void>;
}

/** Applies the volume's limit to the cgroup and returns the limiter that keeps it. */
export async function createIopsLimiter(options: IopsLimiterOptions): Promise<IopsLimiter> {
  const { cgroup, device } = options;
  const now = options.now ?? (() => performance.now());
  const intervalMs = options.intervalMs ?? 1000;
  const policy = iopsPolicyOf(options.volume, options.bucketCredits);
  const capacity = policy.kind === 'burst' ? policy.bucketCredits : 0;
  const wallClock = options.wallClock ?? Date.now;
  let creditFile: string | undefined;
  if (policy.kind === 'burst' && options.creditFile !== null) {
    const volumeFile = options.creditFile === undefined ? await backingFileOf(device) : undefined;
    creditFile = options.creditFile ?? (volumeFile ? creditFileOf(volumeFile) : undefined);
  }
  const saved =
    creditFile && options.initialCredits === undefined ? await readCreditFile(creditFile) : undefined;
  // A bucket of another size (a test's small one, a resized volume) starts full.
  const savedCredits = saved && saved.capacity === capacity ? creditsAt(saved, wallClock()) : undefined;
  let credits = Math.min(capacity, options.initialCredits ?? savedCredits ?? capacity);
  const saveCredits = async () => {
    if (!creditFile || policy.kind !== 'burst') return;
    await writeCreditFile(creditFile, { credits, capacity, baseline: policy.baseline, atMs: wallClock() });
  };
  let last = now();
  let served = await readServicedIos(cgroup, device);

  const limitFor = (current: number): number => {
    if (policy.kind === 'unlimited') return 0;
    if (policy.kind === 'fixed') return policy.iops;
    const oneInterval = ((policy.burst - policy.baseline) * intervalMs) / 1000;
    if (current <= 0) return policy.baseline;
    // Bursting: keep it until the bucket is empty. At baseline: burst again once an interval's worth is saved.
    return limit === policy.burst || current >= Math.min(oneInterval, capacity)
      ? policy.burst
      : policy.baseline;
  };

  let limit = 0;
  limit = limitFor(credits);
  await writeIopsLimit(cgroup, device, limit);
  if (policy.kind === 'fixed' && policy.bytesPerSecond > 0) {
    await writeBpsLimit(cgroup, device, policy.bytesPerSecond);
  }
  await saveCredits();

  const limiter: IopsLimiter = {
    policy,
    get limit() {
      return limit;
    },
    get credits() {
      return credits;
    },
    get burstBalance() {
      return capacity === 0 ? 100 : Math.round((credits / capacity) * 100);
    },
    creditFile,
    async tick() {
      const at = now();
      const total = await readServicedIos(cgroup, device);
      // A counter that went back (device re-added) counts from zero.
      const ios = total >= served ? total - served : total;
      served = total;
      const seconds = Math.max(0, (at - last) / 1000);
      last = at;
      if (policy.kind !== 'burst') return;
      credits = Math.min(capacity, Math.max(0, credits + policy.baseline * seconds - ios));
      await saveCredits();
      const next = limitFor(credits);
      if (next !== limit) {
        await writeIopsLimit(cgroup, device, next);
        limit = next;
      }
    },
    async run(signal) {
      while (!signal.aborted) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, intervalMs);
          signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
        if (!signal.aborted) await limiter.tick();
      }
    },
    async clear() {
      await writeIopsLimit(cgroup, device, 0);
      await writeBpsLimit(cgroup, device, 0);
    },
  };
  return limiter;
}

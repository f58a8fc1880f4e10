import { resolve } from 'node:path';
import type { BackingMode } from './backing-services.js';

/** How `pnpm start` lays out a region; every field has its environment variable. */
export interface RegionOptions {
  /** Where region.json, logs and etcd/NATS data live. `NIMBUS_HOME`, default `./.nimbus`. */
  home: string;
  /** `NIMBUS_REGION`, default `nimbus-1`. */
  region: string;
  /** `NIMBUS_ZONES` (comma-separated), default the region name with `a` and `b`. */
  zones: string[];
  /** `NIMBUS_BACKING`: `auto` (real when etcd and nats-server are on PATH), `real` or `embedded`. */
  backing: BackingMode;
  /** The services/ directory the launcher discovers services in. */
  servicesDir: string;
  /** How long one service has to answer its health check SERVING. `NIMBUS_START_TIMEOUT_MS`, default 60 s. */
  startTimeoutMs: number;
}

export function regionOptionsFromEnv(env: NodeJS.ProcessEnv, servicesDir: string): RegionOptions {
  const region = env.NIMBUS_REGION ?? 'nimbus-1';
  const backing = env.NIMBUS_BACKING ?? 'auto';
  if (backing !== 'auto' && backing !== 'real' && backing !== 'embedded') {
    throw new Error(`NIMBUS_BACKING must be auto, real or embedded, not '${backing}'`);
  }
  const zones = (env.NIMBUS_ZONES ?? `${region}a,${region}b`)
    .split(',')
    .map((zone) => zone.trim())
    .filter(Boolean);
  const startTimeoutMs = Number(env.NIMBUS_START_TIMEOUT_MS ?? 60_000);
  if (!Number.isFinite(startTimeoutMs) || startTimeoutMs <= 0) {
    throw new Error(`NIMBUS_START_TIMEOUT_MS must be a positive number of milliseconds`);
  }
  return { home: resolve(env.NIMBUS_HOME ?? '.nimbus'), region, zones, backing, servicesDir, startTimeoutMs };
}

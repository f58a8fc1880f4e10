/**
 * `<home>/region.json`: what `pnpm start` writes so that the CLI, tests and
 * other tools find a running region without flags. `<home>` is `NIMBUS_HOME`,
 * else the nearest `.nimbus/` from the working directory upwards.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface RegionServiceEntry {
  /** host:port of its gRPC server. */
  address: string;
  /** Fully qualified gRPC services it serves, e.g. `nimbus.network.v1.NetworkService`. */
  grpcServices: string[];
  /** Its Prometheus endpoint, e.g. `http://127.0.0.1:41234/metrics`. */
  metrics?: string;
  /** Its process id when it runs as its own process. */
  pid?: number;
}

export interface RegionFile {
  region: string;
  zones: string[];
  /** The region's home: data, logs and this file. */
  home: string;
  store: { kind: 'etcd' | 'embedded'; endpoints: string[] };
  bus: { kind: 'nats' | 'embedded'; servers: string[] };
  /** Service name → where it listens. */
  services: Record<string, RegionServiceEntry>;
  /** The account and token the CLI uses by default. */
  defaultAccount: { accountId: string; token: string };
  /**
   * The AWS API (EC2 Query, SigV4) when the region runs the gateway: its URL
   * and a ready-made access key of the default account.
   */
  aws?: { url: string; region: string; accountId: string; accessKeyId: string; secretAccessKey: string };
  /** The launcher's process id. */
  pid: number;
  /** Process ids of etcd and nats-server when the region started them. */
  backingPids: number[];
  startedAt: string;
}

export const REGION_FILE_NAME = 'region.json';

export function regionFilePath(home: string): string {
  return join(home, REGION_FILE_NAME);
}

/**
 * Where the running region's file is: under `NIMBUS_HOME` when set, else the
 * nearest `.nimbus/region.json` from `start` upwards; undefined when none exists.
 */
export function findRegionFile(
  start = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (env.NIMBUS_HOME) {
    const path = regionFilePath(resolve(env.NIMBUS_HOME));
    return existsSync(path) ? path : undefined;
  }
  let dir = resolve(start);
  for (;;) {
    const candidate = regionFilePath(join(dir, '.nimbus'));
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The region file at `path`, or undefined when there is none. */
export function readRegionFile(path: string): RegionFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as RegionFile;
}

/** Written to a temporary name and renamed, so a reader never sees half a file. */
export function writeRegionFile(home: string, file: RegionFile): void {
  const path = regionFilePath(home);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

export function removeRegionFile(home: string): void {
  rmSync(regionFilePath(home), { force: true });
}

/** The address serving a gRPC service, e.g. `nimbus.network.v1.NetworkService`. */
export function addressOf(region: RegionFile, grpcService: string): string | undefined {
  return Object.values(region.services).find((s) => s.grpcServices.includes(grpcService))?.address;
}

/**
 * `.nimbus/region.json`: what `pnpm start` writes so that the CLI, tests and
 * other tools find a running region without flags.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface RegionServiceEntry {
  /** host:port of its gRPC server. */
  address: string;
  /** Fully qualified gRPC services it serves, e.g. `nimbus.network.v1.NetworkService`. */
  grpcServices: string[];
}

export interface RegionFile {
  region: string;
  zones: string[];
  store: { kind: 'etcd' | 'embedded'; endpoints: string[] };
  bus: { kind: 'nats' | 'embedded'; servers: string[] };
  /** Service name → where it listens. */
  services: Record<string, RegionServiceEntry>;
  /** The account and token the CLI uses by default. */
  defaultAccount: { accountId: string; token: string };
  pid: number;
  startedAt: string;
}

export const REGION_FILE = join('.nimbus', 'region.json');

/** The nearest `.nimbus/region.json` from `start` upwards, or undefined. */
export function findRegionFile(start = process.cwd()): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, REGION_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function readRegionFile(path: string): RegionFile {
  return JSON.parse(readFileSync(path, 'utf8')) as RegionFile;
}

/** The address serving a gRPC service, e.g. `nimbus.network.v1.NetworkService`. */
export function addressOf(region: RegionFile, grpcService: string): string | undefined {
  return Object.values(region.services).find((s) => s.grpcServices.includes(grpcService))?.address;
}

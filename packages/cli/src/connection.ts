/**
 * Where a command sends its call and as whom: flags first (`--endpoint-url`,
 * `--account-id`, `--token`), then the environment (`NIMBUS_ENDPOINT_URL`,
 * `NIMBUS_ACCOUNT_ID`, `NIMBUS_TOKEN`), then the running region's
 * `.nimbus/region.json`.
 */
import { addressOf, findRegionFile, type RegionFile, readRegionFile } from '@nimbus/runtime';
import { UsageError } from './parse-args.js';

export interface Connection {
  address: string;
  accountId?: string;
  token?: string;
}

export interface ConnectionFlags {
  endpointUrl: string | undefined;
  accountId: string | undefined;
  token: string | undefined;
}

export function loadRegion(env: NodeJS.ProcessEnv = process.env): RegionFile | undefined {
  const path = findRegionFile(process.cwd(), env);
  return path ? readRegionFile(path) : undefined;
}

/** `http://host:port`, `grpc://host:port` and `host:port` all name the same gRPC endpoint. */
function hostPort(url: string): string {
  return url.replace(/^[a-z]+:\/\//, '').replace(/\/$/, '');
}

export function resolveConnection(
  grpcService: string,
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
): Connection {
  const explicit = flags.endpointUrl ?? env.NIMBUS_ENDPOINT_URL;
  const region = explicit ? undefined : loadRegion(env);
  const address = explicit ? hostPort(explicit) : region && addressOf(region, grpcService);
  if (!address) {
    throw new UsageError(
      region
        ? `the running region has no service serving ${grpcService}`
        : 'no region found: start one with `pnpm start`, or pass --endpoint-url host:port',
    );
  }
  const accountId = flags.accountId ?? env.NIMBUS_ACCOUNT_ID ?? region?.defaultAccount.accountId;
  const token = flags.token ?? env.NIMBUS_TOKEN ?? region?.defaultAccount.token;
  return { address, ...(accountId ? { accountId } : {}), ...(token ? { token } : {}) };
}

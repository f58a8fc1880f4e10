/** The gateway's settings, from the environment (see the README's gateway section). */
import { join } from 'node:path';
import { ConfigError, type ConfigOf, readConfig } from '@nimbus/runtime';
import { type BucketLimit, defaultThrottleLimits, type ThrottleLimits } from './throttle/token-buckets.js';

export const gatewayConfigSpec = {
  listen: {
    env: 'NIMBUS_GATEWAY_LISTEN',
    default: '127.0.0.1:0',
    description: 'host:port where the AWS Query API answers over HTTP (loopback; port 0: any free one)',
  },
  region: {
    env: 'NIMBUS_REGION',
    default: 'nimbus-1',
    description: 'the region name clients sign their requests for (the SigV4 credential scope)',
  },
  masterKeyFile: {
    env: 'NIMBUS_GATEWAY_MASTER_KEY_FILE',
    default: '',
    description:
      'file holding the key that seals stored secret access keys (made, mode 0600, when missing); default <NIMBUS_HOME>/gateway-master.key',
  },
  home: {
    env: 'NIMBUS_HOME',
    default: '',
    description: "the region's home directory",
  },
  defaultAccount: {
    env: 'NIMBUS_GATEWAY_DEFAULT_ACCOUNT',
    default: '',
    description:
      "account given a ready-made access key in <NIMBUS_HOME>/gateway.json; default under a region (NIMBUS_HOME set): the account of the first NIMBUS_AUTH_TOKENS pair; 'none': no file",
  },
  authTokens: {
    env: 'NIMBUS_AUTH_TOKENS',
    default: '',
    description: 'the region bearer tokens (token=account pairs), for the default account',
  },
  throttle: {
    env: 'NIMBUS_GATEWAY_THROTTLE',
    default: '{}',
    description:
      'JSON overriding the token buckets per account and action, e.g. {"describe":{"burst":100,"rate":20}}; keys describe, mutate, runInstances, runInstancesInstances, terminateInstances',
  },
  maxBodyBytes: {
    env: 'NIMBUS_GATEWAY_MAX_BODY',
    parse: 'int',
    default: 1_048_576,
    description: 'largest request body accepted, in bytes (larger: 413)',
  },
  callTimeoutMs: {
    env: 'NIMBUS_GATEWAY_CALL_TIMEOUT',
    parse: 'duration',
    default: 30_000,
    description: 'deadline of each call to a downstream service',
  },
} as const;

export type GatewayConfig = ConfigOf<typeof gatewayConfigSpec>;

export function readGatewayConfig(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  return readConfig(gatewayConfigSpec, env);
}

function problem(variable: { env: string; description: string }, text: string): ConfigError {
  return new ConfigError([{ env: variable.env, problem: text, description: variable.description }]);
}

export function masterKeyPathOf(config: GatewayConfig): string {
  if (config.masterKeyFile) return config.masterKeyFile;
  if (config.home) return join(config.home, 'gateway-master.key');
  throw problem(gatewayConfigSpec.masterKeyFile, 'is not set, and neither is NIMBUS_HOME to keep it under');
}

export function listenOf(config: GatewayConfig): { host: string; port: number } {
  const match = /^([\d.]+):(\d+)$/.exec(config.listen);
  if (!match?.[1] || !match[2] || !match[1].startsWith('127.')) {
    throw problem(
      gatewayConfigSpec.listen,
      `must be a loopback host:port (127.x.y.z:port), got '${config.listen}'`,
    );
  }
  return { host: match[1], port: Number(match[2]) };
}

function isLimit(value: unknown): value is BucketLimit {
  const limit = value as Partial<BucketLimit> | undefined;
  return (
    typeof limit?.burst === 'number' && limit.burst >= 1 && typeof limit.rate === 'number' && limit.rate > 0
  );
}

export function throttleLimitsOf(config: GatewayConfig): ThrottleLimits {
  let parsed: unknown;
  try {
    parsed = JSON.parse(config.throttle);
  } catch {
    throw problem(gatewayConfigSpec.throttle, `is not JSON, got '${config.throttle}'`);
  }
  const limits: ThrottleLimits = { ...defaultThrottleLimits };
  for (const [name, limit] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(name in limits)) throw problem(gatewayConfigSpec.throttle, `names '${name}', which is no bucket`);
    if (!isLimit(limit)) {
      throw problem(gatewayConfigSpec.throttle, `has ${name} without a burst >= 1 and a rate > 0`);
    }
    limits[name as keyof ThrottleLimits] = limit;
  }
  return limits;
}

/** The account of the ready-made key and where the file goes, or undefined outside a region. */
export function defaultKeyOf(config: GatewayConfig): { accountId: string; path: string } | undefined {
  if (!config.home || config.defaultAccount === 'none') return undefined;
  const accountId = config.defaultAccount || /=(\d{12})/.exec(config.authTokens)?.[1];
  if (!accountId) return undefined;
  if (!/^\d{12}$/.test(accountId)) {
    throw problem(gatewayConfigSpec.defaultAccount, `must be twelve digits or 'none', got '${accountId}'`);
  }
  return { accountId, path: join(config.home, 'gateway.json') };
}

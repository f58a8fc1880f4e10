/**
 * Instances as the worker's tests make them: a spec on a random loopback
 * private IP, with a root directory holding a tiny HTTP server (node) that
 * answers with what the instance sees (its id, pid, working directory and
 * environment), so a test can curl it like a user would.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '@nimbus/testkit';
import { defaultMetadataOptions, type InstanceSpec } from '../runtime/instance-spec.js';

export const httpServerSource = `const http = require('node:http');
const [host, port] = process.argv.slice(2);
http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({
    instanceId: process.env.NIMBUS_INSTANCE_ID,
    privateIp: process.env.NIMBUS_PRIVATE_IP,
    zone: process.env.NIMBUS_AVAILABILITY_ZONE,
    metadataEndpoint: process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT,
    pid: process.pid,
    cwd: process.cwd(),
  }));
}).listen(Number(port), host, () => console.log('serving on ' + host + ':' + port));
`;

export function testInstanceId(): string {
  return `i-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** A loopback address unlikely to be used by another test running at the same time. */
export function testPrivateIp(): string {
  return `127.77.${randomInt(1, 255)}.${randomInt(1, 255)}`;
}

export interface TestInstance {
  spec: InstanceSpec;
  /** The URL its HTTP server answers on (when its boot command runs the server). */
  url: string;
  root: string;
}

/**
 * A spec whose root directory (under `baseDir`) holds server.cjs. By default
 * the boot command runs it on the private IP and a free port.
 */
export async function makeTestInstance(
  baseDir: string,
  overrides: Partial<InstanceSpec> & { bootCommand?: string } = {},
): Promise<TestInstance> {
  const instanceId = overrides.instanceId ?? testInstanceId();
  const privateIp = overrides.privateIp ?? testPrivateIp();
  const port = await freePort(privateIp);
  const root = join(baseDir, `root-${instanceId}`);
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'server.cjs'), httpServerSource);
  const spec: InstanceSpec = {
    instanceId,
    accountId: '111111111111',
    region: 'nimbus-1',
    availabilityZone: 'nimbus-1a',
    imageId: 'ami-0123456789abcdef0',
    instanceType: 't3.micro',
    vcpus: 2,
    memoryMiB: 1024,
    privateIp,
    bootCommand: `exec node server.cjs ${privateIp} ${port}`,
    userData: new Uint8Array(),
    securityGroups: ['default'],
    rootVolume: { volumeId: 'vol-0123456789abcdef0', hostPath: root },
    metadataOptions: defaultMetadataOptions,
    launchTime: new Date(),
    ...overrides,
  };
  return { spec, url: `http://${privateIp}:${port}/`, root };
}

/** GETs a URL and parses its JSON, or undefined when nothing answers. */
export async function getJson<T = Record<string, unknown>>(url: string): Promise<T | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return (await response.json()) as T;
  } catch {
    return undefined;
  }
}

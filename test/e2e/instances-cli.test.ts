/**
 * Instances as a user of `pnpm start` meets them: the provided nimbus-web image
 * launched through the CLI answers on its private address and, with port 80
 * opened in its group, on its public address through the edge; stopped, it
 * stops answering; started again, it answers with the same instance id;
 * terminated, its public address goes. Addresses of this file only (its own
 * VPC and public pool), so that other regions started by other test files
 * never meet its instances.
 */
import { runCli } from '@nimbus/cli';
import { waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RegionProcess, startRegionProcess } from './region-process.js';

let region: RegionProcess;
beforeAll(async () => {
  region = await startRegionProcess({
    NIMBUS_BACKING: 'real',
    NIMBUS_DEFAULT_VPC_CIDR: '127.150.0.0/16',
    NIMBUS_PUBLIC_IP_POOL: '127.151.0.0/16',
  });
}, 120_000);
afterAll(async () => {
  await region?.dispose();
});

async function nimbus(...args: string[]): Promise<Record<string, unknown>> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env: { NIMBUS_HOME: region.home },
  });
  if (code !== 0) throw new Error(`nimbus ${args[0]} exited ${code}: ${err.join('\n')}`);
  return JSON.parse(out.join('\n') || '{}') as Record<string, unknown>;
}

interface InstanceView {
  instanceId: string;
  state?: { name: string };
  privateIpAddress: string;
  publicIpAddress: string;
}

async function instance(instanceId: string): Promise<InstanceView> {
  const { reservations } = (await nimbus('describe-instances', '--instance-ids', instanceId)) as {
    reservations: { instances: InstanceView[] }[];
  };
  const found = reservations[0]?.instances[0];
  if (!found) throw new Error(`${instanceId} not described`);
  return found;
}

async function inState(instanceId: string, state: string): Promise<InstanceView> {
  return waitUntil(
    async () => {
      const seen = await instance(instanceId);
      return seen.state?.name === state ? seen : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250, message: `${instanceId} ${state}` },
  );
}

async function get(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return await response.text();
  } catch {
    return undefined;
  }
}

describe('instances through the CLI against `pnpm start`', () => {
  it('runs nimbus-web, reachable on its private and public address, across stop and start', async () => {
    const images = await waitUntil(
      async () => {
        const { images: found } = (await nimbus(
          'describe-images',
          '--owners',
          'nimbus',
          '--filters',
          'Name=name,Values=nimbus-web-*',
        )) as { images: { imageId: string }[] };
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, message: 'the provided nimbus-web image' },
    );
    const groups = (await nimbus('describe-security-groups', '--group-names', 'default')) as {
      securityGroups: { groupId: string }[];
    };
    const groupId = groups.securityGroups[0]?.groupId ?? '';
    await nimbus(
      'authorize-security-group-ingress',
      '--group-id',
      groupId,
      '--ip-permissions',
      JSON.stringify([{ ipProtocol: 'tcp', fromPort: 80, toPort: 80, ipRanges: [{ cidrIp: '0.0.0.0/0' }] }]),
    );

    const launched = (await nimbus(
      'run-instances',
      '--image-id',
      images[0]?.imageId ?? '',
      '--min-count',
      '1',
      '--max-count',
      '1',
    )) as { instances: InstanceView[] };
    const instanceId = launched.instances[0]?.instanceId ?? '';
    const running = await inState(instanceId, 'running');
    expect(running.privateIpAddress).toMatch(/^127\.150\./);
    expect(running.publicIpAddress).toMatch(/^127\.151\./);

    const answer = `nimbus-web 1.0.0 on ${instanceId}`;
    await waitUntil(async () => (await get(`http://${running.privateIpAddress}/`))?.startsWith(answer), {
      timeoutMs: 30_000,
      message: 'nimbus-web on the private address',
    });
    await waitUntil(async () => (await get(`http://${running.publicIpAddress}/`))?.startsWith(answer), {
      timeoutMs: 30_000,
      message: 'nimbus-web on the public address, through the edge',
    });
    expect(await get(`http://${running.privateIpAddress}/health`)).toBe('ok\n');

    await nimbus('stop-instances', '--instance-ids', instanceId);
    await inState(instanceId, 'stopped');
    expect(await get(`http://${running.privateIpAddress}/`)).toBeUndefined();

    await nimbus('start-instances', '--instance-ids', instanceId);
    const again = await inState(instanceId, 'running');
    expect(again.privateIpAddress).toBe(running.privateIpAddress);
    await waitUntil(async () => (await get(`http://${again.publicIpAddress}/`))?.startsWith(answer), {
      timeoutMs: 30_000,
      message: 'nimbus-web again after start',
    });

    await nimbus('terminate-instances', '--instance-ids', instanceId);
    await inState(instanceId, 'terminated');
    await waitUntil(async () => (await get(`http://${again.publicIpAddress}/`)) === undefined, {
      timeoutMs: 15_000,
      message: 'the public address gone with the instance',
    });
  });
});

/**
 * The load balancer beside the real network service (in this process, on one
 * etcd and NATS): its addresses come from the default VPC (127.123.0.0/16
 * here) and the public pool (127.124.0.0/16 here), and go back when it is
 * deleted. Backends listen on 127.125.0.x.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, get } from 'node:http';
import { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { type EventBus, openNatsEventBus } from '@nimbus/events';
import { createNetworkServiceModule } from '@nimbus/network';
import {
  type Client,
  createClient,
  createLogger,
  type HostedService,
  hostServiceModule,
} from '@nimbus/runtime';
import { openEtcdStore, type Store } from '@nimbus/store';
import { type EtcdServer, freePort, type NatsServer, startEtcd, startNats, waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoadBalancerServiceModule } from './service.js';

const account = '111111111111';
const serviceToken = 'lb-network-test-token-0123456789';
let etcd: EtcdServer;
let nats: NatsServer;
let store: Store;
let bus: EventBus;
const hosted: HostedService[] = [];
let network: Client<typeof NetworkService>;
let elb: Client<typeof LoadBalancingService>;
const backend = createServer((_req, res) => res.end('behind'));

beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  store = await openEtcdStore({ endpoints: [etcd.endpoint], namespace: `/t-${randomUUID()}` });
  bus = await openNatsEventBus({ servers: nats.endpoint });
  const env = {
    NIMBUS_AUTH_TOKENS: `token-a=${account}`,
    NIMBUS_SERVICE_TOKEN: serviceToken,
    NIMBUS_METRICS_LISTEN: 'off',
  };
  const net = await hostServiceModule(createNetworkServiceModule(), {
    store,
    bus,
    logger: createLogger({ service: 'network', level: 'silent' }),
    env: {
      ...env,
      NIMBUS_DEFAULT_VPC_CIDR: '127.123.0.0/16',
      NIMBUS_PUBLIC_IP_POOL: '127.124.0.0/16',
      NIMBUS_EDGE: 'false',
    },
  });
  hosted.push(net);
  const lb = await hostServiceModule(createLoadBalancerServiceModule({ timeScale: 0.05 }), {
    store,
    bus,
    logger: createLogger({ service: 'load-balancer', level: 'silent' }),
    env: { ...env, NIMBUS_ENDPOINTS: JSON.stringify({ network: net.address }) },
  });
  hosted.push(lb);
  network = createClient(NetworkService, net.address, { token: 'token-a' });
  elb = createClient(LoadBalancingService, lb.address, { token: 'token-a' });
  backend.listen(0, '127.125.0.1');
  await once(backend, 'listening');
});

afterAll(async () => {
  network?.close();
  elb?.close();
  backend.close();
  for (const h of hosted.reverse()) await h.stop();
  await bus?.close();
  await store?.close();
  await Promise.all([etcd?.dispose(), nats?.dispose()]);
});

function fetchText(ip: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: ip, port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('with the network service', () => {
  it('takes addresses from the VPC and the public pool, carries traffic, and gives them back', async () => {
    const subnets = (await network.describeSubnets({})).subnets;
    expect(subnets.length).toBeGreaterThanOrEqual(2);
    const vpcId = subnets[0]?.vpcId ?? '';
    const [tg] = (
      await elb.createTargetGroup({
        name: 'web',
        protocol: 'HTTP',
        port: (backend.address() as { port: number }).port,
        vpcId,
        targetType: 'ip',
        healthCheckIntervalSeconds: 5,
        healthCheckTimeoutSeconds: 2,
        healthyThresholdCount: 2,
      })
    ).targetGroups;
    const tgArn = tg?.targetGroupArn ?? '';
    await elb.registerTargets({ targetGroupArn: tgArn, targets: [{ id: '127.125.0.1' }] });

    const addressesOf = async (arn: string) => {
      let zones: { ip: string; privateIp: string; eni: string }[] = [];
      await waitUntil(async () => {
        const [found] = (await elb.describeLoadBalancers({ loadBalancerArns: [arn] })).loadBalancers;
        zones = (found?.availabilityZones ?? []).map((z) => ({
          ip: z.loadBalancerAddresses[0]?.ipAddress ?? '',
          privateIp: z.loadBalancerAddresses[0]?.privateIpv4Address ?? '',
          eni: z.loadBalancerAddresses[0]?.networkInterfaceId ?? '',
        }));
        return found?.state?.code === 'active';
      });
      return zones;
    };
    const [pub] = (await elb.createLoadBalancer({ name: 'public', subnets: subnets.map((s) => s.subnetId) }))
      .loadBalancers;
    const publicZones = await addressesOf(pub?.loadBalancerArn ?? '');
    for (const z of publicZones) {
      expect(z.ip).toMatch(/^127\.124\./);
      expect(z.privateIp).toMatch(/^127\.123\./);
    }
    const [internal] = (
      await elb.createLoadBalancer({
        name: 'inside',
        scheme: 'internal',
        subnets: subnets.map((s) => s.subnetId),
      })
    ).loadBalancers;
    const internalZones = await addressesOf(internal?.loadBalancerArn ?? '');
    for (const z of internalZones) expect(z.ip).toBe(z.privateIp);

    const publicIp = publicZones[0]?.ip ?? '';
    const port = await freePort(publicIp);
    await elb.createListener({
      loadBalancerArn: pub?.loadBalancerArn ?? '',
      port,
      defaultActions: [{ type: 'forward', targetGroupArn: tgArn }],
    });
    await waitUntil(async () => (await fetchText(publicIp, port).catch(() => '')) === 'behind');

    const enis = [...publicZones, ...internalZones].map((z) => z.eni);
    const before = (await network.describeNetworkInterfaces({ networkInterfaceIds: enis })).networkInterfaces;
    expect(before).toHaveLength(4);
    await elb.deleteLoadBalancer({ loadBalancerArn: pub?.loadBalancerArn ?? '' });
    await elb.deleteLoadBalancer({ loadBalancerArn: internal?.loadBalancerArn ?? '' });
    await waitUntil(async () => {
      const left = await network.describeNetworkInterfaces({
        filters: [{ name: 'vpc-id', values: [vpcId] }],
      });
      return !left.networkInterfaces.some((n) => enis.includes(n.networkInterfaceId));
    });
    await expect(fetchText(publicIp, port)).rejects.toThrow();
  });
});

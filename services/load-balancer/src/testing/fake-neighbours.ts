/**
 * Small stand-ins for the network and compute services, served over gRPC so
 * that the load balancer reaches them as in a region (context.connect with
 * the service token). Known differences from the real services: one VPC with
 * one subnet per zone, addresses handed out in order from the test file's own
 * 127.<octet>.0.0/16 (private 127.<octet>.1.x, public 127.<octet>.2.x), no
 * security group rules; instances are whatever the test puts in `instances`.
 */

import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { createEmbeddedEventBus } from '@nimbus/events';
import {
  createLogger,
  DomainError,
  type HostedService,
  hostServiceModule,
  type ServiceModule,
} from '@nimbus/runtime';
import { assembleService } from '@nimbus/service-kit';
import { createEmbeddedStore } from '@nimbus/store';

export const testVpcId = 'vpc-0a0000000000000a1';
export const testSubnets = [
  { subnetId: 'subnet-0a00000000000001a', zoneName: 'nimbus-1a' },
  { subnetId: 'subnet-0b00000000000001b', zoneName: 'nimbus-1b' },
];

export interface FakeInstance {
  instanceId: string;
  state: string;
  privateIp: string;
}

export interface FakeNeighbours {
  endpoints: Record<string, string>;
  /** Instances compute knows, by id. */
  instances: Map<string, FakeInstance>;
  /** Interfaces that exist, by id, with their public address if any. */
  interfaces: Map<string, { privateIp: string; publicIp?: string; clientToken: string }>;
  /** Calls of DescribeInstances seen, with the account they acted for. */
  describeCalls: string[];
  /** While set, CreateNetworkInterface refuses as a full subnet does. */
  refuseInterfaces: boolean;
  /** Milliseconds CreateNetworkInterface takes (default 0). */
  interfaceDelayMs: number;
  /** Ingress rules by security group id (tcp, ports, CIDRs); a group not here has none. */
  securityGroupRules: Map<string, { fromPort: number; toPort: number; cidrs: string[] }[]>;
  stop(): Promise<void>;
}

export async function startFakeNeighbours(octet: number, serviceToken: string): Promise<FakeNeighbours> {
  const instances = new Map<string, FakeInstance>();
  const interfaces = new Map<string, { privateIp: string; publicIp?: string; clientToken: string }>();
  const describeCalls: string[] = [];
  const self: FakeNeighbours = {
    endpoints: {},
    instances,
    interfaces,
    describeCalls,
    refuseInterfaces: false,
    interfaceDelayMs: 0,
    securityGroupRules: new Map(),
    stop: async () => {},
  };
  let nextPrivate = 10;
  let nextPublic = 10;
  let nextEni = 1;
  const network = assembleService(NetworkService, {
    async describeSubnets({ subnetIds }) {
      const unknown = subnetIds.find((id) => !testSubnets.some((s) => s.subnetId === id));
      if (unknown)
        throw new DomainError('InvalidSubnetID.NotFound', `The subnet ID '${unknown}' does not exist`);
      return {
        subnets: testSubnets
          .filter((s) => subnetIds.includes(s.subnetId))
          .map((s) => ({ subnetId: s.subnetId, vpcId: testVpcId, availabilityZone: s.zoneName })),
      };
    },
    async describeSecurityGroups({ groupIds }) {
      const bad = groupIds.find((id) => !id.startsWith('sg-'));
      if (bad) throw new DomainError('InvalidGroup.NotFound', `The security group '${bad}' does not exist`);
      return {
        securityGroups: groupIds.map((groupId) => ({
          groupId,
          vpcId: testVpcId,
          ipPermissions: (self.securityGroupRules.get(groupId) ?? []).map((r) => ({
            ipProtocol: 'tcp',
            fromPort: r.fromPort,
            toPort: r.toPort,
            ipRanges: r.cidrs.map((cidrIp) => ({ cidrIp })),
          })),
        })),
      };
    },
    async createNetworkInterface({ subnetId, clientToken }) {
      if (self.interfaceDelayMs > 0)
        await new Promise((resolve) => setTimeout(resolve, self.interfaceDelayMs));
      if (self.refuseInterfaces) {
        throw new DomainError(
          'InsufficientFreeAddressesInSubnet',
          `The subnet '${subnetId}' has no free address`,
        );
      }
      for (const [id, eni] of interfaces) {
        if (eni.clientToken === clientToken) {
          return { networkInterface: { networkInterfaceId: id, subnetId, privateIpAddress: eni.privateIp } };
        }
      }
      const id = `eni-${String(nextEni++).padStart(17, '0')}`;
      const privateIp = `127.${octet}.1.${nextPrivate++}`;
      interfaces.set(id, { privateIp, clientToken });
      return { networkInterface: { networkInterfaceId: id, subnetId, privateIpAddress: privateIp } };
    },
    async allocatePublicIp({ networkInterfaceId }) {
      const eni = interfaces.get(networkInterfaceId);
      if (!eni) throw new DomainError('InvalidNetworkInterfaceID.NotFound', 'no such interface');
      eni.publicIp ??= `127.${octet}.2.${nextPublic++}`;
      return { publicIp: eni.publicIp };
    },
    async releasePublicIp({ networkInterfaceId }) {
      const eni = interfaces.get(networkInterfaceId);
      const publicIp = eni?.publicIp ?? '';
      if (eni) delete eni.publicIp;
      return { publicIp };
    },
    async deleteNetworkInterface({ networkInterfaceId }) {
      if (!interfaces.delete(networkInterfaceId)) {
        throw new DomainError('InvalidNetworkInterfaceID.NotFound', 'no such interface');
      }
      return {};
    },
  });
  const compute = assembleService(ComputeService, {
    async describeInstances({ instanceIds }, { accountId }) {
      describeCalls.push(accountId);
      const unknown = instanceIds.find((id) => !instances.has(id));
      if (unknown)
        throw new DomainError('InvalidInstanceID.NotFound', `The instance ID '${unknown}' does not exist`);
      return {
        reservations: [
          {
            instances: instanceIds.map((id) => {
              const i = instances.get(id) as FakeInstance;
              return {
                instanceId: i.instanceId,
                state: { name: i.state },
                privateIpAddress: i.privateIp,
                vpcId: testVpcId,
              };
            }),
          },
        ],
      };
    },
  });
  const host = async (name: string, module: ServiceModule) => {
    const store = createEmbeddedStore();
    const bus = createEmbeddedEventBus();
    const hosted = await hostServiceModule(module, {
      store,
      bus,
      logger: createLogger({ service: name, level: 'silent' }),
      env: {
        NIMBUS_AUTH_TOKENS: 'fake-user=999999999999',
        NIMBUS_SERVICE_TOKEN: serviceToken,
        NIMBUS_METRICS_LISTEN: 'off',
      },
    });
    return {
      hosted,
      async stop() {
        await hosted.stop();
        await bus.close();
        await store.close();
      },
    };
  };
  const net = await host('network', {
    name: 'network',
    start: async () => ({ services: [{ service: NetworkService, impl: network }] }),
  });
  const cmp = await host('compute', {
    name: 'compute',
    start: async () => ({ services: [{ service: ComputeService, impl: compute }] }),
  });
  const hostedOf = (h: { hosted: HostedService }) => h.hosted.address;
  self.endpoints = { network: hostedOf(net), compute: hostedOf(cmp) };
  self.stop = async () => {
    await Promise.all([net.stop(), cmp.stop()]);
  };
  return self;
}

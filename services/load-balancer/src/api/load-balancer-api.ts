/**
 * CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer. A new load
 * balancer is `provisioning` until the provisioner has its addresses, then
 * `active`; deleting it marks it and frees its name at once, the rest follows.
 */
import type { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import type { Stored } from '@nimbus/service-kit';
import { type LoadBalancerType, loadBalancerArn, randomHex16 } from '../domain/arns.js';
import { ElbError, ElbErrorCode, validationError } from '../domain/elb-errors.js';
import { checkLoadBalancerName } from '../domain/names.js';
import { type LoadBalancerRecord, lbKeys } from '../state/records.js';
import type { ApiDeps } from './api-deps.js';
import type { Lookups } from './lookups.js';
import { pageOf } from './paging.js';
import { checkTags } from './tags.js';
import { loadBalancerView } from './views.js';

type LoadBalancerApi = Pick<
  ServiceImpl<typeof LoadBalancingService>,
  'createLoadBalancer' | 'describeLoadBalancers' | 'deleteLoadBalancer'
>;

/** Load balancers per account (TooManyLoadBalancers beyond), ELBv2's default quota. */
export const maxLoadBalancersPerAccount = 50;

export function createLoadBalancerApi(deps: ApiDeps, lookups: Lookups): LoadBalancerApi {
  const { store, network, provisioner, region, now } = deps;
  return {
    async createLoadBalancer(request, { accountId }) {
      checkLoadBalancerName(request.name);
      const type = (request.type || 'application') as LoadBalancerType;
      if (type !== 'application' && type !== 'network') {
        throw validationError(`Load balancer type '${request.type}' must be 'application' or 'network'`);
      }
      const scheme = request.scheme || 'internet-facing';
      if (scheme !== 'internet-facing' && scheme !== 'internal') {
        throw new ElbError(
          ElbErrorCode.invalidScheme,
          `Scheme '${request.scheme}' must be 'internet-facing' or 'internal'`,
        );
      }
      if (request.ipAddressType && request.ipAddressType !== 'ipv4') {
        throw validationError(`IP address type '${request.ipAddressType}' is not supported; use 'ipv4'`);
      }
      if (type === 'network' && request.securityGroups.length > 0) {
        throw validationError('Security groups are not supported for network load balancers in Nimbus');
      }
      const tags = checkTags(request.tags);
      if (request.subnets.length === 0) throw validationError('At least one subnet must be specified');
      if (new Set(request.subnets).size !== request.subnets.length) {
        throw new ElbError(ElbErrorCode.invalidConfigurationRequest, 'A subnet is named twice');
      }
      const subnets = await network.describeSubnets(accountId, request.subnets);
      for (const id of request.subnets) {
        if (!subnets.some((s) => s.subnetId === id)) {
          throw new ElbError(ElbErrorCode.subnetNotFound, `The subnet ID '${id}' is not valid`);
        }
      }
      const vpcs = new Set(subnets.map((s) => s.vpcId));
      if (vpcs.size > 1) throw new ElbError(ElbErrorCode.invalidSubnet, 'The subnets must all be in one VPC');
      const zones = new Set(subnets.map((s) => s.zoneName));
      if (zones.size !== subnets.length) {
        throw new ElbError(
          ElbErrorCode.invalidConfigurationRequest,
          'A load balancer cannot be attached to multiple subnets in the same Availability Zone',
        );
      }
      if (type === 'application' && zones.size < 2) {
        throw validationError('At least two subnets in two different Availability Zones must be specified');
      }
      const vpcId = subnets[0]?.vpcId ?? '';
      await network.checkSecurityGroups(accountId, vpcId, request.securityGroups);
      if ((await lookups.listLoadBalancers(accountId)).length >= maxLoadBalancersPerAccount) {
        throw new ElbError(
          ElbErrorCode.tooManyLoadBalancers,
          `The quota of ${maxLoadBalancersPerAccount} load balancers is reached`,
        );
      }
      const hex = randomHex16();
      const record: LoadBalancerRecord = {
        arn: loadBalancerArn({ region, accountId, type, name: request.name, hex }),
        hex,
        name: request.name,
        accountId,
        region,
        type,
        scheme,
        vpcId,
        securityGroups: [...request.securityGroups],
        zones: subnets.map((s) => ({ zoneName: s.zoneName, subnetId: s.subnetId })),
        state: 'provisioning',
        createdTime: now(),
        tags,
      };
      const result = await store.txn([
        { type: 'create', key: lbKeys.loadBalancerName(accountId, request.name), value: record.arn },
        { type: 'create', key: lbKeys.loadBalancer(accountId, hex), value: JSON.stringify(record) },
      ]);
      if (!result.ok) {
        throw new ElbError(
          ElbErrorCode.duplicateLoadBalancerName,
          `A load balancer with the name '${request.name}' already exists`,
        );
      }
      provisioner.kick(accountId, hex);
      return { loadBalancers: [loadBalancerView(record)] };
    },

    async describeLoadBalancers(request, { accountId }) {
      if (request.loadBalancerArns.length > 0 && request.names.length > 0) {
        throw validationError('Load balancer names and ARNs cannot be specified at the same time');
      }
      let records = (await lookups.listLoadBalancers(accountId)).map((r) => r.value);
      if (request.loadBalancerArns.length > 0) {
        const found = [];
        for (const arn of request.loadBalancerArns)
          found.push((await lookups.loadBalancer(accountId, arn)).value);
        records = found;
      } else if (request.names.length > 0) {
        for (const name of request.names) {
          if (!records.some((r) => r.name === name)) {
            throw new ElbError(ElbErrorCode.loadBalancerNotFound, `Load balancers '[${name}]' not found`);
          }
        }
        records = records.filter((r) => request.names.includes(r.name));
      } else {
        records.sort((a, b) => a.createdTime - b.createdTime || a.arn.localeCompare(b.arn));
      }
      const { page, nextMarker } = pageOf(records, request.marker, request.pageSize);
      return { loadBalancers: page.map(loadBalancerView), nextMarker };
    },

    async deleteLoadBalancer({ loadBalancerArn: arn }, { accountId }) {
      let current: Stored<LoadBalancerRecord>;
      try {
        current = await lookups.loadBalancer(accountId, arn);
      } catch (error) {
        // ELBv2: deleting a load balancer that is already gone succeeds.
        if (error instanceof ElbError && error.code === ElbErrorCode.loadBalancerNotFound) return {};
        throw error;
      }
      const claim = await store.get(lbKeys.loadBalancerName(accountId, current.value.name));
      const marked: LoadBalancerRecord = { ...current.value, state: 'deleting' };
      const result = await store.txn([
        {
          type: 'update',
          key: current.key,
          value: JSON.stringify(marked),
          expectedRevision: current.revision,
        },
        ...(claim && claim.value === arn
          ? [{ type: 'delete' as const, key: claim.key, expectedRevision: claim.modRevision }]
          : []),
      ]);
      if (!result.ok)
        throw new ElbError(ElbErrorCode.resourceInUse, 'The load balancer changed meanwhile; try again');
      provisioner.kick(accountId, current.value.hex);
      return {};
    },
  };
}

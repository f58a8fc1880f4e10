/**
 * Target groups: create, describe, modify the health check, delete (not while
 * a listener or rule forwards to it: ResourceInUse), and their attributes.
 */
import type { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import type { Matcher } from '@nimbus/api/gen/nimbus/loadbalancing/v1/target_group_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import type { Stored } from '@nimbus/service-kit';
import { randomHex16, targetGroupArn } from '../domain/arns.js';
import { ElbError, ElbErrorCode, validationError } from '../domain/elb-errors.js';
import {
  type HealthCheckInput,
  resolveHealthCheck,
  type TargetProtocol,
} from '../domain/health-check-settings.js';
import { checkTargetGroupName } from '../domain/names.js';
import { applyAttributes, attributeList, defaultAttributes } from '../domain/target-group-attributes.js';
import { lbKeys, type TargetGroupRecord } from '../state/records.js';
import type { ApiDeps } from './api-deps.js';
import type { Lookups } from './lookups.js';
import { pageOf } from './paging.js';
import { checkTags } from './tags.js';
import { targetGroupView } from './views.js';

type TargetGroupApi = Pick<
  ServiceImpl<typeof LoadBalancingService>,
  | 'createTargetGroup'
  | 'describeTargetGroups'
  | 'modifyTargetGroup'
  | 'deleteTargetGroup'
  | 'describeTargetGroupAttributes'
  | 'modifyTargetGroupAttributes'
>;

export const maxTargetGroupsPerAccount = 3000;

interface HealthCheckFields {
  healthCheckProtocol: string;
  healthCheckPort: string;
  healthCheckPath: string;
  healthCheckEnabled?: boolean;
  healthCheckIntervalSeconds?: number;
  healthCheckTimeoutSeconds?: number;
  healthyThresholdCount?: number;
  unhealthyThresholdCount?: number;
  matcher?: Matcher;
}

function healthCheckInput(r: HealthCheckFields): HealthCheckInput {
  return {
    ...(r.healthCheckProtocol ? { protocol: r.healthCheckProtocol } : {}),
    ...(r.healthCheckPort ? { port: r.healthCheckPort } : {}),
    ...(r.healthCheckPath ? { path: r.healthCheckPath } : {}),
    ...(r.healthCheckEnabled === undefined ? {} : { enabled: r.healthCheckEnabled }),
    ...(r.healthCheckIntervalSeconds === undefined ? {} : { intervalSeconds: r.healthCheckIntervalSeconds }),
    ...(r.healthCheckTimeoutSeconds === undefined ? {} : { timeoutSeconds: r.healthCheckTimeoutSeconds }),
    ...(r.healthyThresholdCount === undefined ? {} : { healthyThreshold: r.healthyThresholdCount }),
    ...(r.unhealthyThresholdCount === undefined ? {} : { unhealthyThreshold: r.unhealthyThresholdCount }),
    ...(r.matcher?.httpCode ? { matcher: r.matcher.httpCode } : {}),
  };
}

export function createTargetGroupApi(deps: ApiDeps, lookups: Lookups): TargetGroupApi {
  const { store, region } = deps;
  const view = async (accountId: string, r: TargetGroupRecord) =>
    targetGroupView(r, await lookups.loadBalancersOf(accountId, r.arn));

  async function update(
    accountId: string,
    arn: string,
    change: (current: TargetGroupRecord) => TargetGroupRecord,
  ): Promise<TargetGroupRecord> {
    for (;;) {
      const current = await lookups.targetGroup(accountId, arn);
      const next = change(current.value);
      if (await lookups.targetGroups.update(current, next)) return next;
    }
  }

  return {
    async createTargetGroup(request, { accountId }) {
      checkTargetGroupName(request.name);
      const protocol = request.protocol.toUpperCase() as TargetProtocol;
      if (protocol !== 'HTTP' && protocol !== 'TCP') {
        if (request.protocol === '') throw validationError('A protocol must be specified');
        throw new ElbError(
          ElbErrorCode.unsupportedProtocol,
          `Protocol '${request.protocol}' is not supported; use HTTP or TCP`,
        );
      }
      if (!Number.isInteger(request.port) || request.port < 1 || request.port > 65535) {
        throw validationError(`Port '${request.port}' must be between '1' and '65535'`);
      }
      const targetType = request.targetType || 'instance';
      if (targetType !== 'instance' && targetType !== 'ip') {
        throw validationError(`Target type '${targetType}' must be 'instance' or 'ip'`);
      }
      if (!request.vpcId)
        throw validationError('A VPC ID must be specified for target groups of type instance or ip');
      const healthCheck = resolveHealthCheck(protocol, undefined, healthCheckInput(request));
      const tags = checkTags(request.tags);
      const existing = await lookups.targetGroups.list(lbKeys.targetGroups(accountId));
      const same = existing.find((g) => g.value.name.toLowerCase() === request.name.toLowerCase());
      if (same) {
        // ELBv2: the same name with the same settings returns the existing group.
        const g = same.value;
        if (
          g.protocol === protocol &&
          g.port === request.port &&
          g.vpcId === request.vpcId &&
          g.targetType === targetType
        ) {
          return { targetGroups: [await view(accountId, g)] };
        }
        throw new ElbError(
          ElbErrorCode.duplicateTargetGroupName,
          `A target group with the name '${request.name}' already exists`,
        );
      }
      if (existing.length >= maxTargetGroupsPerAccount) {
        throw new ElbError(
          ElbErrorCode.tooManyTargetGroups,
          `The quota of ${maxTargetGroupsPerAccount} target groups is reached`,
        );
      }
      const hex = randomHex16();
      const record: TargetGroupRecord = {
        arn: targetGroupArn(region, accountId, request.name, hex),
        hex,
        name: request.name,
        accountId,
        protocol,
        port: request.port,
        vpcId: request.vpcId,
        targetType,
        healthCheck,
        attributes: defaultAttributes(protocol),
        targets: [],
        tags,
      };
      const result = await store.txn([
        { type: 'create', key: lbKeys.targetGroupName(accountId, request.name), value: record.arn },
        { type: 'create', key: lbKeys.targetGroup(accountId, hex), value: JSON.stringify(record) },
      ]);
      if (!result.ok) {
        throw new ElbError(
          ElbErrorCode.duplicateTargetGroupName,
          `A target group with the name '${request.name}' already exists`,
        );
      }
      return { targetGroups: [targetGroupView(record, [])] };
    },

    async describeTargetGroups(request, { accountId }) {
      const given = [
        request.loadBalancerArn !== '',
        request.targetGroupArns.length > 0,
        request.names.length > 0,
      ];
      if (given.filter(Boolean).length > 1) {
        throw validationError('Only one of load balancer ARN, target group ARNs or names can be specified');
      }
      let records: TargetGroupRecord[];
      if (request.targetGroupArns.length > 0) {
        records = [];
        for (const arn of request.targetGroupArns)
          records.push((await lookups.targetGroup(accountId, arn)).value);
      } else {
        records = (await lookups.targetGroups.list(lbKeys.targetGroups(accountId))).map((g) => g.value);
        if (request.names.length > 0) {
          for (const name of request.names) {
            if (!records.some((r) => r.name === name)) {
              throw new ElbError(
                ElbErrorCode.targetGroupNotFound,
                `One or more target groups not found: '${name}'`,
              );
            }
          }
          records = records.filter((r) => request.names.includes(r.name));
        }
        if (request.loadBalancerArn) {
          await lookups.loadBalancer(accountId, request.loadBalancerArn);
          const used = [];
          for (const r of records) {
            if ((await lookups.loadBalancersOf(accountId, r.arn)).includes(request.loadBalancerArn))
              used.push(r);
          }
          records = used;
        }
        records.sort((a, b) => a.name.localeCompare(b.name));
      }
      const { page, nextMarker } = pageOf(records, request.marker, request.pageSize);
      const targetGroups = [];
      for (const r of page) targetGroups.push(await view(accountId, r));
      return { targetGroups, nextMarker };
    },

    async modifyTargetGroup(request, { accountId }) {
      const input = healthCheckInput(request);
      if (Object.keys(input).length === 0)
        throw validationError('At least one health check setting must be specified');
      const next = await update(accountId, request.targetGroupArn, (current) => ({
        ...current,
        healthCheck: resolveHealthCheck(current.protocol, current.healthCheck, input),
      }));
      return { targetGroups: [await view(accountId, next)] };
    },

    async deleteTargetGroup({ targetGroupArn: arn }, { accountId }) {
      let current: Stored<TargetGroupRecord>;
      try {
        current = await lookups.targetGroup(accountId, arn);
      } catch (error) {
        // ELBv2: deleting a target group that is already gone succeeds.
        if (error instanceof ElbError && error.code === ElbErrorCode.targetGroupNotFound) return {};
        throw error;
      }
      const users = await lookups.loadBalancersOf(accountId, arn);
      if (users.length > 0) {
        throw new ElbError(
          ElbErrorCode.resourceInUse,
          `Target group '${arn}' is currently in use by a listener or a rule`,
        );
      }
      const claim = await store.get(lbKeys.targetGroupName(accountId, current.value.name));
      const result = await store.txn([
        { type: 'delete', key: current.key, expectedRevision: current.revision },
        ...(claim && claim.value === arn
          ? [{ type: 'delete' as const, key: claim.key, expectedRevision: claim.modRevision }]
          : []),
      ]);
      if (!result.ok)
        throw new ElbError(ElbErrorCode.resourceInUse, 'The target group changed meanwhile; try again');
      return {};
    },

    async describeTargetGroupAttributes({ targetGroupArn: arn }, { accountId }) {
      const g = (await lookups.targetGroup(accountId, arn)).value;
      return { attributes: attributeList(g.protocol, g.attributes) };
    },

    async modifyTargetGroupAttributes(request, { accountId }) {
      const next = await update(accountId, request.targetGroupArn, (current) => ({
        ...current,
        attributes: applyAttributes(current.protocol, current.attributes, request.attributes),
      }));
      return { attributes: attributeList(next.protocol, next.attributes) };
    },
  };
}

/**
 * RegisterTargets, DeregisterTargets, DescribeTargetHealth. An `ip` target is
 * an IPv4 address in 127.0.0.0/8 (every Nimbus address is on loopback); an
 * `instance` target is a running instance of the caller, whose private
 * address compute tells. Deregistering starts the group's deregistration
 * delay: the target drains (no new requests) and leaves the group when its
 * requests are done or the delay is over (the data plane removes it).
 */
import type { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import type { TargetDescription } from '@nimbus/api/gen/nimbus/loadbalancing/v1/target_group_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { ElbError, ElbErrorCode, validationError } from '../domain/elb-errors.js';
import type { TargetGroupRecord, TargetRecord } from '../state/records.js';
import type { ApiDeps } from './api-deps.js';
import type { Lookups } from './lookups.js';

type TargetApi = Pick<
  ServiceImpl<typeof LoadBalancingService>,
  'registerTargets' | 'deregisterTargets' | 'describeTargetHealth'
>;

const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function portOf(group: TargetGroupRecord, t: { port: number }): number {
  if (t.port === 0) return group.port;
  if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) {
    throw validationError(`Target port '${t.port}' must be between '1' and '65535'`);
  }
  return t.port;
}

const sameTarget = (a: { id: string; port: number }, b: { id: string; port: number }) =>
  a.id === b.id && a.port === b.port;

export function createTargetApi(deps: ApiDeps, lookups: Lookups): TargetApi {
  const { compute, traffic, now, maxTargetsPerGroup } = deps;

  async function resolve(accountId: string, group: TargetGroupRecord, targets: readonly TargetDescription[]) {
    if (targets.length === 0) throw validationError('At least one target must be specified');
    const wanted = targets.map((t) => {
      if (!t.id) throw validationError('A target ID must be specified');
      return { id: t.id, port: portOf(group, t), availabilityZone: t.availabilityZone };
    });
    const ips = new Map<string, string>();
    if (group.targetType === 'ip') {
      for (const t of wanted) {
        if (!ipv4.test(t.id) || !t.id.startsWith('127.')) {
          throw new ElbError(
            ElbErrorCode.invalidTarget,
            `The IP address '${t.id}' is not a valid IPv4 address in 127.0.0.0/8`,
          );
        }
        ips.set(t.id, t.id);
      }
    } else {
      for (const t of wanted) {
        if (!/^i-[0-9a-f]{17}$/.test(t.id)) {
          throw new ElbError(
            ElbErrorCode.invalidTarget,
            `The target ID '${t.id}' is not a valid instance ID`,
          );
        }
      }
      const ids = [...new Set(wanted.map((t) => t.id))];
      const instances = await compute.describeInstances(accountId, ids);
      const notRunning = [];
      for (const id of ids) {
        const instance = instances.find((i) => i.instanceId === id);
        if (!instance)
          throw new ElbError(ElbErrorCode.invalidTarget, `The target '${id}' is not a valid instance`);
        if (instance.vpcId && instance.vpcId !== group.vpcId) {
          throw new ElbError(
            ElbErrorCode.invalidTarget,
            `The target '${id}' is not in the target group's VPC '${group.vpcId}'`,
          );
        }
        if (instance.state !== 'running' || !instance.privateIp) notRunning.push(id);
        else ips.set(id, instance.privateIp);
      }
      if (notRunning.length > 0) {
        throw new ElbError(
          ElbErrorCode.invalidTarget,
          `The following targets are not in a running state and cannot be registered: '${notRunning.join(', ')}'`,
        );
      }
    }
    return wanted.map((t) => ({ ...t, ip: ips.get(t.id) ?? t.id }));
  }

  return {
    async registerTargets(request, { accountId }) {
      const group = (await lookups.targetGroup(accountId, request.targetGroupArn)).value;
      const resolved = await resolve(accountId, group, request.targets);
      for (;;) {
        const current = await lookups.targetGroup(accountId, request.targetGroupArn);
        const targets = [...current.value.targets];
        for (const t of resolved) {
          const index = targets.findIndex((existing) => sameTarget(existing, t));
          const fresh: TargetRecord = {
            id: t.id,
            port: t.port,
            ip: t.ip,
            registeredAt: now(),
            ...(t.availabilityZone ? { availabilityZone: t.availabilityZone } : {}),
          };
          // Registering a target again is a no-op, or brings a draining one back.
          if (index === -1) targets.push(fresh);
          else if (targets[index]?.drainingSince !== undefined) targets[index] = fresh;
        }
        if (targets.length > maxTargetsPerGroup) {
          throw new ElbError(
            ElbErrorCode.tooManyTargets,
            `A target group can have at most ${maxTargetsPerGroup} targets`,
          );
        }
        if (await lookups.targetGroups.update(current, { ...current.value, targets })) return {};
      }
    },

    async deregisterTargets(request, { accountId }) {
      for (;;) {
        const current = await lookups.targetGroup(accountId, request.targetGroupArn);
        const group = current.value;
        if (request.targets.length === 0) throw validationError('At least one target must be specified');
        const wanted = request.targets.map((t) => ({ id: t.id, port: portOf(group, t) }));
        const missing = wanted.filter((t) => !group.targets.some((existing) => sameTarget(existing, t)));
        if (missing.length > 0) {
          throw new ElbError(
            ElbErrorCode.invalidTarget,
            `The following targets are not registered in target group '${group.arn}': '${missing.map((t) => `${t.id}:${t.port}`).join(', ')}'`,
          );
        }
        const delay = group.attributes.deregistrationDelaySeconds;
        const targets: TargetRecord[] = [];
        for (const t of group.targets) {
          if (!wanted.some((w) => sameTarget(w, t))) targets.push(t);
          else if (delay > 0)
            targets.push(t.drainingSince === undefined ? { ...t, drainingSince: now() } : t);
        }
        if (await lookups.targetGroups.update(current, { ...group, targets })) return {};
      }
    },

    async describeTargetHealth(request, { accountId }) {
      const group = (await lookups.targetGroup(accountId, request.targetGroupArn)).value;
      const healthCheckPort = (t: TargetRecord | { port: number }) =>
        group.healthCheck.port === 'traffic-port' ? String(t.port) : group.healthCheck.port;
      const describe = (t: TargetRecord) => ({
        target: { id: t.id, port: t.port, availabilityZone: t.availabilityZone ?? '' },
        healthCheckPort: healthCheckPort(t),
        targetHealth: traffic.health(group, t),
      });
      if (request.targets.length === 0) return { targetHealthDescriptions: group.targets.map(describe) };
      return {
        targetHealthDescriptions: request.targets.map((asked) => {
          const port = asked.port || group.port;
          const found = group.targets.find((t) => t.id === asked.id && t.port === port);
          if (found) return describe(found);
          return {
            target: { id: asked.id, port, availabilityZone: asked.availabilityZone },
            healthCheckPort: healthCheckPort({ port }),
            targetHealth: {
              state: 'unused',
              reason: 'Target.NotRegistered',
              description: 'Target is not registered to the target group',
            },
          };
        }),
      };
    },
  };
}

/**
 * The group controller's decisions, as a pure function of a group record,
 * what compute and the target groups said about its instances, and what the
 * controller did this pass: the new record, the activities to create with it
 * (one transaction) and the changes to existing activities after it.
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '@bufbuild/protobuf';
import type { TxnOp } from '@nimbus/store';
import { chooseVictims } from '../domain/termination-policy.js';
import { zoneForLaunch } from '../domain/zone-balance.js';
import { type ActivityChange, newActivity } from '../state/activities.js';
import { causeTime } from '../state/activity-records.js';
import { type GroupMember, type GroupRecord, isSuspended, liveMembers } from '../state/group-records.js';
import type { InstanceHealth, InstanceView } from './compute-port.js';
import { failingTargetGroup, inServiceReady, pastGrace, unhealthyBecause } from './health-rules.js';

const leaving = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/** What one pass saw and did, by slot. */
export interface Observations {
  now: number;
  /** Instances compute knows, by slot (found by id or by client token). */
  instances: Map<number, InstanceView>;
  /** Status checks of running instances, by instance id. */
  health: Map<string, InstanceHealth>;
  /** Target state per target group, by instance id; absent when not asked (no target groups or no service). */
  targetHealth?: Map<string, Map<string, string>>;
  /** Launches refused this pass (the message), by slot. */
  launchFailures: Map<number, string>;
  /** Target groups each member was registered with this pass, by slot. */
  registered: Map<number, string[]>;
  /** Target groups each member left this pass because they were detached from the group, by slot. */
  detached: Map<number, string[]>;
  /** Members deregistered from every target group this pass (they drain next). */
  deregistered: Set<number>;
  /** Members no target group drains any longer (they are terminated this pass). */
  drained: Set<number>;
  /** Whether the load-balancer service answers in this region. */
  loadBalancing: boolean;
  /** What the group launches from now, or why it cannot launch (its template or version is gone). */
  template: CurrentLaunch | string;
}

export interface CurrentLaunch {
  launchTemplateId: string;
  launchTemplateName: string;
  launchTemplateVersion: number;
  /** Set when the group launches from a launch configuration (the template fields are then empty). */
  launchConfigurationName?: string;
  instanceType: string;
  /** The RunInstances request of one launch. */
  request(zone: string, subnetId: string, clientToken: string): JsonValue;
}

export interface Plan {
  group: GroupRecord;
  creates: TxnOp[];
  updates: { key: string; change: ActivityChange }[];
  /** Something is under way: look again soon. */
  busy: boolean;
  /** The record changed in a way that calls for another pass at once (new slots to launch). */
  again: boolean;
  /** Capacity is short but launches wait for the retry time: look again then. */
  retryAfterMs?: number;
}

/**
 * What an instance was launched from, as the termination policies compare
 * it: a template's id, or a launch configuration's name (so that
 * OldestLaunchTemplate and OldestLaunchConfiguration both find the instances
 * not launched from what the group launches from now).
 */
function launchIdentity(m: { launchTemplateId: string; launchConfigurationName?: string }): string {
  return m.launchConfigurationName ? `launch-configuration/${m.launchConfigurationName}` : m.launchTemplateId;
}

export function clientTokenFor(groupId: string, slot: number): string {
  return `asg-${createHash('sha256').update(`${groupId}/${slot}`).digest('hex').slice(0, 40)}`;
}

export function planGroup(fresh: GroupRecord, seen: Observations, launchRetryMs: number): Plan {
  const now = seen.now;
  const at = causeTime(now);
  const creates: TxnOp[] = [];
  const updates: Plan['updates'] = [];
  let again = false;
  const g: GroupRecord = { ...fresh, members: fresh.members.map((m) => ({ ...m })) };
  const finished: GroupMember[] = [];

  const startTermination = (m: GroupMember, cause: string) => {
    const made = newActivity(
      g,
      {
        description: `Terminating EC2 instance: ${m.instanceId}`,
        cause,
        statusCode: 'InProgress',
        progress: 0,
        details: { 'Availability Zone': m.zone },
      },
      now,
    );
    creates.push(made.op);
    m.lifecycleState = 'Terminating';
    m.activityId = made.record.activityId;
    m.activityKey = made.key;
    m.terminateCause = cause;
  };

  for (const m of g.members) {
    const instance = seen.instances.get(m.slot);
    if (!m.instanceId && instance) {
      m.instanceId = instance.instanceId;
      m.instanceType = instance.instanceType || m.instanceType;
      if (m.lifecycleState === 'Pending') {
        updates.push({
          key: m.activityKey,
          change: {
            description: `Launching a new EC2 instance: ${m.instanceId}`,
            statusCode: 'PreInService',
            progress: 30,
          },
        });
      }
    }
    const failure = seen.launchFailures.get(m.slot);
    if (failure !== undefined && !m.instanceId) {
      updates.push({
        key: m.activityKey,
        change: {
          description: `Launching a new EC2 instance.  Status Reason: ${failure}`,
          statusCode: 'Failed',
          statusMessage: failure,
        },
      });
      g.launchRetryAfter = now + launchRetryMs;
      finished.push(m);
      continue;
    }
    const registered = seen.registered.get(m.slot);
    if (registered) m.registeredWith = [...new Set([...m.registeredWith, ...registered])];
    const detached = seen.detached.get(m.slot);
    if (detached) m.registeredWith = m.registeredWith.filter((arn) => !detached.includes(arn));
    if (seen.deregistered.has(m.slot)) {
      m.drainingFrom = [...new Set([...(m.drainingFrom ?? []), ...m.registeredWith])];
      m.registeredWith = [];
      if (instance?.state === 'running') {
        updates.push({
          key: m.activityKey,
          change: { statusCode: 'WaitingForELBConnectionDraining', progress: 50 },
        });
      }
    }
    if (seen.drained.has(m.slot)) {
      delete m.drainingFrom;
      updates.push({ key: m.activityKey, change: { statusCode: 'InProgress', progress: 70 } });
    }

    if (m.lifecycleState === 'Pending' && m.instanceId) {
      if (!instance || leaving.has(instance.state)) {
        const reason = instance
          ? `${instance.state}${instance.stateReason ? ` (${instance.stateReason})` : ''}`
          : 'gone';
        updates.push({
          key: m.activityKey,
          change: {
            statusCode: 'Failed',
            statusMessage: `Instance ${m.instanceId} did not come into service: ${reason}.`,
          },
        });
        // Its launch activity records the failure; the termination needs no second one.
        m.lifecycleState = 'Terminating';
        m.terminateCause = `At ${at} instance ${m.instanceId} failed to launch: ${reason}.`;
        g.launchRetryAfter = now + launchRetryMs;
        continue;
      }
      const failing =
        instance.state === 'running' && pastGrace(g, m, now) ? failingTargetGroup(g, m, seen) : undefined;
      if (failing) {
        const why = `Instance ${m.instanceId} failed the health checks of ${failing} within the grace period.`;
        updates.push({ key: m.activityKey, change: { statusCode: 'Failed', statusMessage: why } });
        m.lifecycleState = 'Terminating';
        m.terminateCause = `At ${at} ${why}`;
        continue;
      }
      if (instance.state === 'running' && inServiceReady(g, m, seen)) {
        m.lifecycleState = 'InService';
        updates.push({ key: m.activityKey, change: { statusCode: 'Successful' } });
        g.lastActivityEnd = now;
      }
      continue;
    }

    if (m.lifecycleState === 'InService' && !isSuspended(g, 'HealthCheck')) {
      const why = unhealthyBecause(g, m, instance, seen);
      if (why) m.healthStatus = 'Unhealthy';
    }
    if (
      m.lifecycleState === 'InService' &&
      m.healthStatus === 'Unhealthy' &&
      !isSuspended(g, 'ReplaceUnhealthy')
    ) {
      const why = unhealthyBecause(g, m, instance, seen) ?? 'an instance was marked unhealthy';
      startTermination(m, `At ${at} ${why}.`);
      continue;
    }

    if (m.lifecycleState === 'Terminating') {
      const gone = m.instanceId ? !instance || instance.state === 'terminated' : !instance;
      if (gone && m.registeredWith.length === 0) {
        updates.push({
          key: m.activityKey,
          change: { statusCode: m.instanceId ? 'Successful' : 'Cancelled' },
        });
        finished.push(m);
        g.lastActivityEnd = now;
      }
    }
  }
  g.members = g.members.filter((m) => !finished.includes(m));

  // Capacity: launch up to desired, terminate down to it.
  const live = liveMembers(g);
  const desired = g.deleting ? 0 : g.desiredCapacity;
  if (live.length < desired && !isSuspended(g, 'Launch') && now >= (g.launchRetryAfter ?? 0)) {
    if (typeof seen.template === 'string') {
      const made = newActivity(
        g,
        {
          description: `Launching a new EC2 instance.  Status Reason: ${seen.template}`,
          cause: `At ${at} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${live.length} to ${desired}.`,
          statusCode: 'Failed',
          progress: 100,
          details: {},
        },
        now,
      );
      made.record.endTime = now;
      made.record.statusMessage = seen.template;
      creates.push({ ...made.op, value: JSON.stringify(made.record) } as TxnOp);
      g.launchRetryAfter = now + launchRetryMs;
    } else {
      const template = seen.template;
      const zones = live.map((m) => m.zone);
      for (let n = live.length; n < desired; n++) {
        const zone = zoneForLaunch(g.availabilityZones, zones);
        zones.push(zone);
        const subnetId = g.subnets.find((s) => s.zone === zone)?.subnetId ?? '';
        const slot = g.nextSlot++;
        const clientToken = clientTokenFor(g.groupId, slot);
        const made = newActivity(
          g,
          {
            description: 'Launching a new EC2 instance',
            cause: `At ${at} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${live.length} to ${desired}.`,
            statusCode: 'WaitingForInstanceId',
            progress: 0,
            details: { 'Availability Zone': zone, ...(subnetId ? { 'Subnet ID': subnetId } : {}) },
          },
          now,
        );
        creates.push(made.op);
        g.members.push({
          slot,
          clientToken,
          launch: template.request(zone, subnetId, clientToken),
          zone,
          instanceId: '',
          instanceType: template.instanceType,
          launchTemplateId: template.launchTemplateId,
          launchTemplateName: template.launchTemplateName,
          launchTemplateVersion: template.launchTemplateVersion,
          ...(template.launchConfigurationName
            ? { launchConfigurationName: template.launchConfigurationName }
            : {}),
          lifecycleState: 'Pending',
          healthStatus: 'Healthy',
          protectedFromScaleIn: g.newInstancesProtectedFromScaleIn,
          launchedAt: now,
          activityId: made.record.activityId,
          activityKey: made.key,
          registeredWith: [],
        });
        again = true;
      }
    }
  } else if (live.length > desired && (g.deleting || !isSuspended(g, 'Terminate'))) {
    const current = typeof seen.template === 'string' ? undefined : seen.template;
    const victims = chooseVictims(
      live.map((m) => ({
        id: String(m.slot),
        zone: m.zone,
        launchedAt: m.launchedAt,
        launchTemplateId: launchIdentity(m),
        launchTemplateVersion: m.launchTemplateVersion,
        protectedFromScaleIn: m.protectedFromScaleIn,
      })),
      live.length - desired,
      {
        policies: g.terminationPolicies,
        current: {
          launchTemplateId: current ? launchIdentity(current) : g.launchTemplate.launchTemplateId,
          version: current?.launchTemplateVersion,
        },
        now,
        includeProtected: g.deleting,
      },
    );
    let size = live.length;
    for (const victim of victims) {
      const m = g.members.find((x) => String(x.slot) === victim.id) as GroupMember;
      const cause = g.deleting
        ? `At ${at} the group was being deleted, shrinking the capacity from ${size} to ${size - 1}.`
        : `At ${at} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${size} to ${size - 1}.`;
      size--;
      if (!m.instanceId) {
        // Never launched as far as anyone knows: the launch is called off (a token look-up still runs).
        updates.push({ key: m.activityKey, change: { statusCode: 'Cancelled', statusMessage: cause } });
        m.lifecycleState = 'Terminating';
        m.terminateCause = cause;
      } else {
        startTermination(m, cause);
      }
    }
  }
  const busy = g.members.some((m) => m.lifecycleState !== 'InService') || creates.length > 0;
  const waiting = liveMembers(g).length < desired && (g.launchRetryAfter ?? 0) > now;
  return {
    group: g,
    creates,
    updates,
    busy,
    again,
    ...(waiting ? { retryAfterMs: (g.launchRetryAfter ?? 0) - now } : {}),
  };
}

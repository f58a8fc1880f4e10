import { describe, expect, it } from 'vitest';
import type { GroupMember, GroupRecord } from '../state/group-records.js';
import type { InstanceView } from './compute-port.js';
import { type CurrentLaunch, clientTokenFor, type Observations, planGroup } from './group-plan.js';

const now = 1_800_000_000_000;
const tg = 'arn:aws:elasticloadbalancing:nimbus-1:111111111111:targetgroup/web/0123456789abcdef';

const template: CurrentLaunch = {
  launchTemplateId: 'lt-00000000000000001',
  launchTemplateName: 'web',
  launchTemplateVersion: 1,
  instanceType: 't3.micro',
  request: (zone, subnetId, clientToken) => ({ zone, subnetId, clientToken }),
};

function group(members: GroupMember[], extra: Partial<GroupRecord> = {}): GroupRecord {
  return {
    name: 'web',
    accountId: '111111111111',
    groupId: 'g-1',
    arn: 'arn:aws:autoscaling:nimbus-1:111111111111:autoScalingGroup:g-1:autoScalingGroupName/web',
    launchTemplate: {
      launchTemplateId: template.launchTemplateId,
      launchTemplateName: 'web',
      version: '$Latest',
    },
    minSize: 0,
    maxSize: 4,
    desiredCapacity: members.length,
    defaultCooldown: 300,
    availabilityZones: ['nimbus-1a', 'nimbus-1b'],
    subnets: [],
    targetGroupArns: [tg],
    healthCheckType: 'ELB',
    healthCheckGracePeriod: 60,
    terminationPolicies: ['Default'],
    newInstancesProtectedFromScaleIn: false,
    tags: [],
    suspendedProcesses: [],
    createdTime: now - 600_000,
    deleting: false,
    nextSlot: members.length,
    lastActivityEnd: 0,
    members,
    ...extra,
  };
}

function member(slot: number, state: GroupMember['lifecycleState'], launchedAgoMs: number): GroupMember {
  return {
    slot,
    clientToken: clientTokenFor('g-1', slot),
    launch: {},
    zone: slot % 2 === 0 ? 'nimbus-1a' : 'nimbus-1b',
    instanceId: `i-0000000000000000${slot}`,
    instanceType: 't3.micro',
    launchTemplateId: template.launchTemplateId,
    launchTemplateName: 'web',
    launchTemplateVersion: 1,
    lifecycleState: state,
    healthStatus: 'Healthy',
    protectedFromScaleIn: false,
    launchedAt: now - launchedAgoMs,
    activityId: `a-${slot}`,
    activityKey: `/activities/${slot}`,
    registeredWith: [tg],
  };
}

function running(m: GroupMember): InstanceView {
  return {
    instanceId: m.instanceId,
    state: 'running',
    stateReason: '',
    clientToken: m.clientToken,
    zone: m.zone,
    instanceType: 't3.micro',
  };
}

function observations(
  members: GroupMember[],
  targets: Record<string, string>,
  extra: Partial<Observations> = {},
): Observations {
  return {
    now,
    instances: new Map(members.map((m) => [m.slot, running(m)])),
    health: new Map(),
    targetHealth: new Map([[tg, new Map(Object.entries(targets))]]),
    launchFailures: new Map(),
    registered: new Map(),
    detached: new Map(),
    deregistered: new Set(),
    drained: new Set(),
    loadBalancing: true,
    template,
    ...extra,
  };
}

describe('group plan under ELB health checks', () => {
  it('keeps a registered instance Pending until its target groups call it healthy (or unused)', () => {
    const m = member(0, 'Pending', 5_000);
    const initial = planGroup(group([m]), observations([m], { [m.instanceId]: 'initial' }), 1_000);
    expect(initial.group.members[0]?.lifecycleState).toBe('Pending');
    const healthy = planGroup(group([m]), observations([m], { [m.instanceId]: 'healthy' }), 1_000);
    expect(healthy.group.members[0]?.lifecycleState).toBe('InService');
    expect(healthy.updates).toEqual([{ key: m.activityKey, change: { statusCode: 'Successful' } }]);
    const unused = planGroup(group([m]), observations([m], { [m.instanceId]: 'unused' }), 1_000);
    expect(unused.group.members[0]?.lifecycleState).toBe('InService');
  });

  it('replaces an InService instance its target group calls unhealthy, only after the grace period', () => {
    const young = member(0, 'InService', 30_000);
    const old = member(1, 'InService', 120_000);
    const plan = planGroup(
      group([young, old]),
      observations([young, old], { [young.instanceId]: 'unhealthy', [old.instanceId]: 'unhealthy' }),
      1_000,
    );
    // The replacement is written in the same step: InService plus Pending make desired again.
    expect(plan.group.members.map((m) => m.lifecycleState)).toEqual(['InService', 'Terminating', 'Pending']);
    expect(plan.group.members[1]?.terminateCause).toMatch(/ELB system health check failure/);
    expect(plan.creates).toHaveLength(2);
  });

  it('marks an unhealthy instance but keeps it when ReplaceUnhealthy is suspended', () => {
    const m = member(0, 'InService', 120_000);
    const plan = planGroup(
      group([m], { suspendedProcesses: [{ processName: 'ReplaceUnhealthy', reason: 'test' }] }),
      observations([m], { [m.instanceId]: 'unhealthy' }),
      1_000,
    );
    expect(plan.group.members[0]).toMatchObject({ lifecycleState: 'InService', healthStatus: 'Unhealthy' });
  });

  it('a refused launch fails its activity, drops the slot and waits before the next launch', () => {
    const pending = { ...member(0, 'Pending', 0), instanceId: '' };
    const seen = observations(
      [],
      {},
      { launchFailures: new Map([[0, 'InsufficientInstanceCapacity: no room']]) },
    );
    const plan = planGroup(group([pending], { desiredCapacity: 1 }), seen, 10_000);
    expect(plan.group.members).toEqual([]);
    expect(plan.updates[0]?.change).toMatchObject({
      statusCode: 'Failed',
      statusMessage: 'InsufficientInstanceCapacity: no room',
    });
    expect(plan.creates).toEqual([]);
    expect(plan.retryAfterMs).toBe(10_000);
  });

  it('writes new slots with client tokens derived from the group and the slot, balanced across zones', () => {
    const plan = planGroup(group([], { desiredCapacity: 3 }), observations([], {}), 1_000);
    expect(plan.group.members.map((m) => [m.slot, m.zone, m.clientToken])).toEqual([
      [0, 'nimbus-1a', clientTokenFor('g-1', 0)],
      [1, 'nimbus-1b', clientTokenFor('g-1', 1)],
      [2, 'nimbus-1a', clientTokenFor('g-1', 2)],
    ]);
    expect(plan.group.nextSlot).toBe(3);
    expect(clientTokenFor('g-1', 0)).toMatch(/^asg-[0-9a-f]{40}$/);
    expect(plan.creates).toHaveLength(3);
    expect(plan.again).toBe(true);
  });
});

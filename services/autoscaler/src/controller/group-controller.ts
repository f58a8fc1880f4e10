/**
 * The group reconciler: for one group key, reads the group, asks compute and
 * the target groups about its instances, carries out what the record already
 * says (launch the members written but not launched, with their own client
 * token and arguments; register, deregister and terminate), then writes the
 * next step (group-plan.ts) with compare-and-swap, new activities in the same
 * transaction. Intent is always written before it is acted on, so a
 * controller that dies anywhere does the same thing again after its restart,
 * and compute's client tokens make a repeated launch the same launch.
 */
import type { Reconcile } from '@nimbus/controller';
import { createRecords } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import type { AutoscalerSettings } from '../autoscaler-config.js';
import { launchRequest } from '../domain/launch-request.js';
import { updateActivity } from '../state/activities.js';
import { autoscalingKeys, parseGroupKey } from '../state/autoscaling-keys.js';
import type { GroupMember, GroupRecord } from '../state/group-records.js';
import { isSuspended } from '../state/group-records.js';
import type { LaunchConfigurationRecord } from '../state/launch-configuration-records.js';
import { createTemplateStore, decodeData } from '../state/template-store.js';
import { type ComputePort, type InstanceView, isLaunchRefusal } from './compute-port.js';
import { type CurrentLaunch, type Observations, planGroup } from './group-plan.js';
import type { LoadBalancerPort } from './load-balancer-port.js';

export interface GroupReconcilerDeps {
  store: Store;
  compute: ComputePort;
  loadBalancers?: LoadBalancerPort;
  settings: AutoscalerSettings;
  now: () => number;
  logger: Logger;
}

export function createGroupReconciler(deps: GroupReconcilerDeps): Reconcile {
  const { store, compute, settings, now, logger } = deps;
  const lb = deps.loadBalancers;
  const groups = createRecords<GroupRecord>(store);
  const templates = createTemplateStore(store);
  const configurations = createRecords<LaunchConfigurationRecord>(store);

  const currentLaunch = async (g: GroupRecord): Promise<CurrentLaunch | string> => {
    if (g.launchConfigurationName) {
      const name = g.launchConfigurationName;
      const found = await configurations.get(autoscalingKeys.launchConfiguration(g.accountId, name));
      if (!found) return `The launch configuration ${name} does not exist.`;
      const data = decodeData(found.value.data);
      return {
        launchTemplateId: '',
        launchTemplateName: '',
        launchTemplateVersion: 0,
        launchConfigurationName: name,
        instanceType: data.instanceType,
        request: (zone, subnetId, clientToken) => launchRequest(data, g, { zone, subnetId }, clientToken),
      };
    }
    try {
      // By id: the name is only shown (a template keeps its id; names are checked at the API).
      const which = { launchTemplateId: g.launchTemplate.launchTemplateId, launchTemplateName: '' };
      const resolved = await templates.resolve(g.accountId, which, g.launchTemplate.version);
      return {
        launchTemplateId: resolved.template.launchTemplateId,
        launchTemplateName: resolved.template.launchTemplateName,
        launchTemplateVersion: resolved.version.versionNumber,
        instanceType: resolved.data.instanceType || 't3.micro',
        request: (zone, subnetId, clientToken) =>
          launchRequest(resolved.data, g, { zone, subnetId }, clientToken),
      };
    } catch (error) {
      if (error instanceof Error && 'code' in error) return error.message;
      throw error;
    }
  };

  /** Instances compute knows for the group's members, by slot. */
  const observe = async (g: GroupRecord): Promise<Map<number, InstanceView>> => {
    const views = await compute.describe(g.accountId, {
      instanceIds: g.members.filter((m) => m.instanceId).map((m) => m.instanceId),
      clientTokens: g.members.filter((m) => !m.instanceId).map((m) => m.clientToken),
    });
    const bySlot = new Map<number, InstanceView>();
    for (const m of g.members) {
      const view = m.instanceId
        ? views.find((v) => v.instanceId === m.instanceId)
        : views.find((v) => v.clientToken === m.clientToken);
      if (view) bySlot.set(m.slot, view);
    }
    return bySlot;
  };

  return async (key) => {
    if (!parseGroupKey(key)) return undefined;
    const read = await groups.get(key);
    if (!read) return undefined;
    const g = read.value;
    const instances = await observe(g);
    const seen: Observations = {
      now: now(),
      instances,
      health: new Map(),
      launchFailures: new Map(),
      registered: new Map(),
      detached: new Map(),
      deregistered: new Set(),
      drained: new Set(),
      loadBalancing: lb !== undefined,
      template: await currentLaunch(g),
    };

    // What the record already asks for: the launches at once (each waits on compute), then the rest.
    const launches = await Promise.allSettled(
      g.members
        .filter((m) => m.lifecycleState === 'Pending' && !m.instanceId && !instances.has(m.slot))
        .map((m) => launch(g, m, seen)),
    );
    // A failure other than a refusal is retried; the launches that went through are recorded first.
    const failed = launches.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const m of g.members) {
      const instance = instances.get(m.slot);
      if (m.lifecycleState !== 'Terminating' && instance?.state === 'running') {
        await register(g, m, instance, seen);
      }
      if (m.lifecycleState === 'Terminating') await terminate(g, m, instance, seen);
    }
    await checkHealth(g, seen);

    const plan = await mutateWith(key, seen);
    for (const u of plan?.updates ?? []) await updateActivity(store, u.key, u.change, seen.now);
    if (failed) throw failed.reason;
    if (!plan) return undefined;
    if (plan.group.deleting && plan.group.members.length === 0) {
      const fresh = await groups.get(key);
      if (fresh?.value.deleting && fresh.value.members.length === 0 && (await groups.delete(fresh))) {
        logger.info({ group: g.name, accountId: g.accountId }, 'group deleted');
        return undefined;
      }
      return { requeueAfterMs: 0 };
    }
    if (plan.again) return { requeueAfterMs: 0 };
    if (plan.busy) return { requeueAfterMs: settings.activePollMs };
    if (plan.retryAfterMs !== undefined) return { requeueAfterMs: plan.retryAfterMs };
    return plan.group.members.length > 0 ? { requeueAfterMs: settings.healthPollMs } : undefined;
  };

  async function launch(g: GroupRecord, m: GroupMember, seen: Observations): Promise<void> {
    try {
      const view = await compute.launch(g.accountId, m.launch);
      seen.instances.set(m.slot, view);
      logger.info(
        { group: g.name, instanceId: view.instanceId, zone: m.zone, slot: m.slot },
        'instance launched',
      );
    } catch (error) {
      if (!isLaunchRefusal(error)) throw error;
      logger.warn({ group: g.name, err: error, slot: m.slot }, 'launch refused');
      seen.launchFailures.set(m.slot, `${error.code}: ${error.message}`);
    }
  }

  /** Registers with the group's target groups (also those attached later), and leaves detached ones. */
  async function register(g: GroupRecord, m: GroupMember, instance: InstanceView, seen: Observations) {
    if (!lb) return;
    const detached = m.registeredWith.filter((arn) => !g.targetGroupArns.includes(arn));
    for (const arn of detached) await lb.deregister(g.accountId, arn, instance.instanceId);
    if (detached.length > 0) seen.detached.set(m.slot, detached);
    if (isSuspended(g, 'AddToLoadBalancer')) return;
    const missing = g.targetGroupArns.filter((arn) => !m.registeredWith.includes(arn));
    for (const arn of missing) await lb.register(g.accountId, arn, instance.instanceId);
    if (missing.length > 0) seen.registered.set(m.slot, missing);
  }

  /**
   * Deregisters the member from its target groups, waits while any of them
   * still drains it (their deregistration delay), then terminates it. An
   * instance that is already stopped or gone has nothing to drain.
   */
  async function terminate(
    g: GroupRecord,
    m: GroupMember,
    instance: InstanceView | undefined,
    seen: Observations,
  ) {
    const id = m.instanceId || instance?.instanceId;
    const serving = instance?.state === 'running';
    if (lb && m.registeredWith.length > 0) {
      if (id) for (const arn of m.registeredWith) await lb.deregister(g.accountId, arn, id);
      seen.deregistered.add(m.slot);
      if (serving) return;
    }
    const drainingFrom = m.drainingFrom ?? [];
    if (lb && id && serving && drainingFrom.length > 0) {
      for (const arn of drainingFrom) {
        if ((await lb.health(g.accountId, arn)).get(id) === 'draining') return;
      }
    }
    if (drainingFrom.length > 0) seen.drained.add(m.slot);
    if (id && instance && instance.state !== 'terminated' && instance.state !== 'shutting-down') {
      await compute.terminate(g.accountId, id);
      logger.info({ group: g.name, instanceId: id, cause: m.terminateCause }, 'instance terminating');
    }
  }

  async function checkHealth(g: GroupRecord, seen: Observations): Promise<void> {
    const running = g.members
      .filter((m) => m.lifecycleState === 'InService' && seen.instances.get(m.slot)?.state === 'running')
      .map((m) => m.instanceId);
    if (isSuspended(g, 'HealthCheck') || running.length === 0) {
      // Target health still decides when Pending members go InService.
    } else {
      seen.health = await compute.health(g.accountId, running);
    }
    if (lb && g.targetGroupArns.length > 0 && g.healthCheckType === 'ELB') {
      const targetHealth = new Map<string, Map<string, string>>();
      for (const arn of g.targetGroupArns) targetHealth.set(arn, await lb.health(g.accountId, arn));
      seen.targetHealth = targetHealth;
    }
  }

  async function mutateWith(key: string, seen: Observations) {
    for (;;) {
      const fresh = await groups.get(key);
      if (!fresh) return undefined;
      const plan = planGroup(fresh.value, seen, settings.launchRetryMs);
      if (JSON.stringify(plan.group) === JSON.stringify(fresh.value) && plan.creates.length === 0)
        return plan;
      const written = await store.txn([
        { type: 'update', key, value: JSON.stringify(plan.group), expectedRevision: fresh.revision },
        ...plan.creates,
      ]);
      if (written.ok) return plan;
    }
  }
}

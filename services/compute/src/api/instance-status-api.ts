/**
 * DescribeInstanceStatus: the system check is the worker's (Ready: passed;
 * NotReady: failed since it fell silent), the instance check is what the
 * worker reports of the instance's processes. Running instances only, unless
 * IncludeAllInstances; the others' checks are "not-applicable".
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import type { InstanceStatusSchema } from '@nimbus/api/gen/nimbus/compute/v1/instance_status_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  checkIdsWithoutMaxResults,
  compileFilters,
  createRecords,
  dryRunOperation,
  pageOf,
  resolveMaxResults,
} from '@nimbus/service-kit';
import { instanceState } from '../domain/instance-states.js';
import { computeKeys } from '../state/compute-keys.js';
import type { InstanceRecord } from '../state/instance-records.js';
import { createInstanceStore } from '../state/instance-store.js';
import type { ObservationRecord } from '../state/observation-records.js';
import type { WorkerRecord } from '../state/worker-records.js';
import type { ApiDeps } from './api-deps.js';

type StatusApi = Pick<ServiceImpl<typeof ComputeService>, 'describeInstanceStatus'>;

export interface StatusChecks {
  system: { status: string; reachability: string; since?: string };
  instance: { status: string; reachability: string; since?: string };
}

const notApplicable = { status: 'not-applicable', reachability: 'not-applicable' };

/** The two checks of an instance from its worker's record and its last observation. */
export function statusChecks(
  instance: InstanceRecord,
  worker: WorkerRecord | undefined,
  observation: ObservationRecord | undefined,
): StatusChecks {
  if (instance.state !== 'running') return { system: notApplicable, instance: notApplicable };
  if (!worker?.ready) {
    return {
      system: {
        status: 'impaired',
        reachability: 'failed',
        ...(worker?.notReadySince ? { since: worker.notReadySince } : {}),
      },
      instance: { status: 'insufficient-data', reachability: 'insufficient-data' },
    };
  }
  const system = { status: 'ok', reachability: 'passed' };
  const seen = observation && observation.workerName === instance.workerName ? observation : undefined;
  if (!seen || seen.instanceStatus === 'initializing') {
    return { system, instance: { status: 'initializing', reachability: 'initializing' } };
  }
  if (seen.instanceStatus === 'impaired') {
    return { system, instance: { status: 'impaired', reachability: 'failed', since: seen.since } };
  }
  return { system, instance: { status: 'ok', reachability: 'passed' } };
}

function summary(check: StatusChecks['system']) {
  return {
    status: check.status,
    details:
      check.status === 'not-applicable'
        ? []
        : [
            {
              name: 'reachability',
              status: check.reachability,
              ...(check.since ? { impairedSince: timestampFromDate(new Date(check.since)) } : {}),
            },
          ],
  };
}

export function createInstanceStatusApi(deps: ApiDeps): StatusApi {
  const instances = createInstanceStore(deps.store);
  const workers = createRecords<WorkerRecord>(deps.store);
  const observations = createRecords<ObservationRecord>(deps.store);
  type Row = { instance: InstanceRecord; checks: StatusChecks };
  return {
    async describeInstanceStatus(request, { accountId }) {
      const ids = request.instanceIds;
      checkIdsWithoutMaxResults('InstanceIds', ids, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults, { min: 5, max: 1000 });
      const matches = compileFilters<Row>(request.filters, {
        'availability-zone': (r) => r.instance.availabilityZone,
        'instance-state-name': (r) => r.instance.state,
        'instance-state-code': (r) => String(instanceState(r.instance.state).code),
        'system-status.status': (r) => r.checks.system.status,
        'system-status.reachability': (r) => r.checks.system.reachability,
        'instance-status.status': (r) => r.checks.instance.status,
        'instance-status.reachability': (r) => r.checks.instance.reachability,
      });
      if (request.dryRun) throw dryRunOperation();
      const named =
        ids.length > 0 ? (await instances.require(accountId, ids)).map((r) => r.value) : undefined;
      const all =
        named ?? (await deps.cache?.list(accountId)) ?? (await instances.list(accountId)).map((r) => r.value);
      const candidates = all.filter((r) => request.includeAllInstances || r.state === 'running');
      const workerByName = new Map(
        (await workers.list(computeKeys.workers())).map((w) => [w.value.workerName, w.value]),
      );
      // One read of every observation rather than one per instance.
      const observed = new Map(
        (await observations.list(computeKeys.observations())).map((o) => [o.value.instanceId, o.value]),
      );
      const rows: Row[] = candidates.map((instance) => ({
        instance,
        checks: statusChecks(
          instance,
          workerByName.get(instance.workerName),
          observed.get(instance.instanceId),
        ),
      }));
      const selected = rows
        .filter(matches)
        .sort((a, b) => a.instance.instanceId.localeCompare(b.instance.instanceId));
      const page = pageOf(selected, (r) => r.instance.instanceId, { nextToken: request.nextToken, pageSize });
      const statuses: MessageInitShape<typeof InstanceStatusSchema>[] = page.items.map((r) => ({
        instanceId: r.instance.instanceId,
        availabilityZone: r.instance.availabilityZone,
        instanceState: instanceState(r.instance.state),
        systemStatus: summary(r.checks.system),
        instanceStatus: summary(r.checks.instance),
        events: [],
      }));
      return { instanceStatuses: statuses, nextToken: page.nextToken };
    },
  };
}

/** GetConsoleOutput: the last 64 KiB the instance printed, as its worker reported it. */
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { createRecords, dryRunOperation } from '@nimbus/service-kit';
import { missingParameter } from '../domain/compute-errors.js';
import { computeKeys } from '../state/compute-keys.js';
import { createInstanceStore } from '../state/instance-store.js';
import type { ConsoleRecord } from '../state/observation-records.js';
import type { ApiDeps } from './api-deps.js';

type ConsoleApi = Pick<ServiceImpl<typeof ComputeService>, 'getConsoleOutput'>;

export function createConsoleOutputApi(deps: ApiDeps): ConsoleApi {
  const instances = createInstanceStore(deps.store);
  const consoles = createRecords<ConsoleRecord>(deps.store);
  return {
    async getConsoleOutput(request, { accountId }) {
      if (request.instanceId === '') throw missingParameter('InstanceId');
      await instances.require(accountId, [request.instanceId]);
      if (request.dryRun) throw dryRunOperation();
      const held = await consoles.get(computeKeys.console(request.instanceId));
      return {
        instanceId: request.instanceId,
        output: held?.value.output ?? '',
        timestamp: timestampFromDate(new Date(held?.value.updatedAt ?? deps.now())),
      };
    },
  };
}

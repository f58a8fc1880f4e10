/**
 * ReportListeningPorts: compute relays what an instance's worker sees it
 * listen on, the full set each time. The set is kept per instance (the last
 * report wins; an empty one forgets it) and the edge opens rules with wide
 * port ranges, such as all traffic, only at these ports.
 */
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { createRecords } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import { tryParseIpv4 } from '../domain/cidr.js';
import { invalidParameterValue } from '../domain/network-errors.js';
import { ResourceKinds, requireId } from '../domain/resource-ids.js';
import {
  type ListeningPortsRecord,
  listeningPortKeys,
  type ReportedPort,
} from '../state/listening-port-keys.js';

type ListeningPortsApi = Pick<ServiceImpl<typeof NetworkService>, 'reportListeningPorts'>;

function checkPort({ protocol, privateIpAddress, port }: ReportedPort): ReportedPort {
  if (protocol !== 'tcp' && protocol !== 'udp') {
    throw invalidParameterValue(`Invalid value '${protocol}' for protocol: expecting tcp or udp`);
  }
  if (tryParseIpv4(privateIpAddress) === undefined) {
    throw invalidParameterValue(`Invalid value '${privateIpAddress}' for privateIpAddress`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw invalidParameterValue(`Invalid value '${port}' for port: expecting 1-65535`);
  }
  return { protocol, privateIpAddress, port };
}

export function createListeningPortsApi(deps: { store: Store; now?: () => number }): ListeningPortsApi {
  const records = createRecords<ListeningPortsRecord>(deps.store);
  const now = deps.now ?? Date.now;
  return {
    async reportListeningPorts(request) {
      const instanceId = requireId(ResourceKinds.instance, request.instanceId);
      const ports = request.ports.map((p) =>
        checkPort({ protocol: p.protocol, privateIpAddress: p.privateIpAddress, port: p.port }),
      );
      const key = listeningPortKeys.instance(instanceId);
      const value: ListeningPortsRecord = { instanceId, ports, reportTime: new Date(now()).toISOString() };
      // The full set each time: replace whatever is there, retrying a lost race with a concurrent report.
      for (;;) {
        const current = await records.get(key);
        const done =
          ports.length === 0
            ? current === undefined || (await records.delete(current))
            : current === undefined
              ? await records.create(key, value)
              : await records.update(current, value);
        if (done) return {};
      }
    },
  };
}

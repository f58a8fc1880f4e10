/**
 * The NetworkService implementation, assembled from one module per resource
 * kind; each module owns its handlers and its records.
 */
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import type { Store } from '@nimbus/store';
import { createRecords } from '../state/records.js';
import { translatingErrors } from './api-errors.js';
import { createKeyPairApi, type KeyPairRecord } from './key-pair-api.js';
import { notYetAvailable } from './not-yet-available.js';

export interface NetworkApiDeps {
  store: Store;
}

export function createNetworkApi(deps: NetworkApiDeps): ServiceImpl<typeof NetworkService> {
  const keyPairApi = createKeyPairApi(createRecords<KeyPairRecord>(deps.store));
  const unavailable = Object.fromEntries(
    NetworkService.methods.map((method) => [method.localName, notYetAvailable(method.name)]),
  ) as unknown as ServiceImpl<typeof NetworkService>;
  return translatingErrors({ ...unavailable, ...keyPairApi });
}

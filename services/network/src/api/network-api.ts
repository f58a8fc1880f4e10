/**
 * The NetworkService implementation, assembled from one module per resource
 * kind; each module owns its handlers and its records. An action no module
 * serves yet answers UnsupportedOperation.
 */
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { createRecords } from '../state/records.js';
import { createSubnetAddressChoices } from '../state/subnet-address-choices.js';
import { createAddressApi } from './address-api.js';
import type { ApiDeps } from './api-deps.js';
import { translatingErrors } from './api-errors.js';
import { createKeyPairApi, type KeyPairRecord } from './key-pair-api.js';
import { createListeningPortsApi } from './listening-ports-api.js';
import { createNetworkInterfaceApi } from './network-interface-api.js';
import { createNetworkInterfaceAttachmentApi } from './network-interface-attachment-api.js';
import { createNetworkInterfaceAttributeApi } from './network-interface-attribute-api.js';
import { notYetAvailable } from './not-yet-available.js';
import { createPrivateIpAssignmentApi } from './private-ip-assignment-api.js';
import { createSecurityGroupApi } from './security-group-api.js';
import { createVpcApi } from './vpc-api.js';

export function createNetworkApi(deps: ApiDeps): ServiceImpl<typeof NetworkService> {
  const unavailable = Object.fromEntries(
    NetworkService.methods.map((method) => [method.localName, notYetAvailable(method.name)]),
  ) as unknown as ServiceImpl<typeof NetworkService>;
  // One per process: interface creation and address assignment choose from the same knowledge.
  const addressChoices = createSubnetAddressChoices(deps.store);
  return translatingErrors({
    ...unavailable,
    ...createKeyPairApi(createRecords<KeyPairRecord>(deps.store)),
    ...createVpcApi(deps),
    ...createSecurityGroupApi(deps),
    ...createNetworkInterfaceApi(deps, addressChoices),
    ...createPrivateIpAssignmentApi(deps, addressChoices),
    ...createNetworkInterfaceAttributeApi(deps),
    ...createNetworkInterfaceAttachmentApi(deps),
    ...createAddressApi(deps),
    ...createListeningPortsApi(deps),
  });
}

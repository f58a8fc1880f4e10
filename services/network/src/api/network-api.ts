/**
 * The NetworkService implementation, assembled from one module per resource
 * kind; each module owns its handlers and its records. An action no module
 * serves yet answers UnsupportedOperation.
 */
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { assembleService } from '@nimbus/service-kit';
import { createSubnetAddressChoices } from '../state/subnet-address-choices.js';
import { createAddressApi } from './address-api.js';
import type { ApiDeps } from './api-deps.js';
import { createKeyPairApi } from './key-pair-api.js';
import { createListeningPortsApi } from './listening-ports-api.js';
import { createNetworkInterfaceApi } from './network-interface-api.js';
import { createNetworkInterfaceAttachmentApi } from './network-interface-attachment-api.js';
import { createNetworkInterfaceAttributeApi } from './network-interface-attribute-api.js';
import { createPrivateIpAssignmentApi } from './private-ip-assignment-api.js';
import { createSecurityGroupApi } from './security-group-api.js';
import { createVpcApi } from './vpc-api.js';

export function createNetworkApi(deps: ApiDeps): ServiceImpl<typeof NetworkService> {
  // One per process: interface creation and address assignment choose from the same knowledge.
  const addressChoices = createSubnetAddressChoices(deps.store);
  return assembleService(
    NetworkService,
    createKeyPairApi(deps.store),
    createVpcApi(deps),
    createSecurityGroupApi(deps),
    createNetworkInterfaceApi(deps, addressChoices),
    createPrivateIpAssignmentApi(deps, addressChoices),
    createNetworkInterfaceAttributeApi(deps),
    createNetworkInterfaceAttachmentApi(deps),
    createAddressApi(deps),
    createListeningPortsApi(deps),
  );
}

import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import type { ApiDeps } from './api-deps.js';

export function createAddressApi(_deps: ApiDeps): Partial<ServiceImpl<typeof NetworkService>> {
  return {};
}

/**
 * The services whose actions the CLI offers as verbs. A new service adds its
 * descriptor here; its verbs, flags and help then follow from the proto.
 */
import type { DescService } from '@bufbuild/protobuf';
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';

export const knownServices: readonly DescService[] = [NetworkService, BlockStorageService];

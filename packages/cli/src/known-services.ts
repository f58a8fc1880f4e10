/**
 * The services whose actions the CLI offers as verbs. A new service adds its
 * descriptor here; its verbs, flags and help then follow from the proto.
 */
import type { DescService } from '@bufbuild/protobuf';
import { AutoScalingService } from '@nimbus/api/gen/nimbus/autoscaling/v1/auto_scaling_service_pb';
import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { GatewayAdminService } from '@nimbus/api/gen/nimbus/gateway/v1/gateway_admin_service_pb';
import { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';

/**
 * EC2 has one CreateTags and one DeleteTags for every kind of resource, and a
 * verb is named after its action: until the CLI routes those by resource id,
 * block storage keeps `create-tags`/`delete-tags`, and another service's are
 * left out of the verbs (they stay reachable over gRPC).
 */
function withoutActions(service: DescService, actions: readonly string[]): DescService {
  return { ...service, methods: service.methods.filter((m) => !actions.includes(m.name)) };
}

export const knownServices: readonly DescService[] = [
  NetworkService,
  BlockStorageService,
  withoutActions(ImageService, ['CreateTags', 'DeleteTags']),
  withoutActions(ComputeService, ['CreateTags', 'DeleteTags']),
  // ELBv2's DescribeTags takes ARNs, not EC2's filters: gRPC-only beside compute's describe-tags.
  withoutActions(LoadBalancingService, ['DescribeTags']),
  AutoScalingService,
];

/** `nimbus admin <verb>`: the region's accounts and the access keys of the AWS API (the gateway). */
export const adminServices: readonly DescService[] = [GatewayAdminService];

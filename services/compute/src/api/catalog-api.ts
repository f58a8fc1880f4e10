/**
 * The catalog: DescribeInstanceTypes, DescribeInstanceTypeOfferings (every
 * type in every zone of the region), DescribeAvailabilityZones and
 * DescribeRegions (this region only; the others of a federation are not known).
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  AvailabilityZoneSchema,
  InstanceTypeInfoSchema,
} from '@nimbus/api/gen/nimbus/compute/v1/catalog_pb';
import type { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  ApiError,
  compileFilters,
  dryRunOperation,
  type FilterFields,
  invalidParameterValue,
  pageOf,
  resolveMaxResults,
} from '@nimbus/service-kit';
import type { ComputeConfig } from '../compute-config.js';
import { type InstanceTypeSpec, instanceTypes } from '../domain/instance-types.js';

type CatalogApi = Pick<
  ServiceImpl<typeof ComputeService>,
  'describeInstanceTypes' | 'describeInstanceTypeOfferings' | 'describeAvailabilityZones' | 'describeRegions'
>;

function toInstanceTypeInfo(t: InstanceTypeSpec): MessageInitShape<typeof InstanceTypeInfoSchema> {
  return {
    instanceType: t.instanceType,
    currentGeneration: true,
    freeTierEligible: t.instanceType === 't3.micro',
    supportedUsageClasses: ['on-demand'],
    supportedRootDeviceTypes: ['ebs'],
    supportedVirtualizationTypes: ['hvm'],
    bareMetal: false,
    hypervisor: 'nitro',
    processorInfo: {
      supportedArchitectures: ['x86_64'],
      sustainedClockSpeedInGhz: t.clockGhz,
      manufacturer: 'Intel',
    },
    vCpuInfo: { defaultVCpus: t.vcpus, defaultCores: Math.max(1, t.vcpus / 2), defaultThreadsPerCore: 2 },
    memoryInfo: { sizeInMib: BigInt(t.memoryMib) },
    instanceStorageSupported: false,
    networkInfo: {
      networkPerformance: t.networkPerformance,
      maximumNetworkInterfaces: t.maxNetworkInterfaces,
      ipv4AddressesPerInterface: t.ipv4PerInterface,
    },
    burstablePerformanceSupported: t.family === 't3',
    onDemandPriceUsdPerHour: t.pricePerHour,
    ebsInfo: { ebsOptimizedSupport: 'default', encryptionSupport: 'supported' },
  };
}

const typeFilters: FilterFields<InstanceTypeSpec> = {
  'instance-type': (t) => t.instanceType,
  'current-generation': () => 'true',
  'free-tier-eligible': (t) => String(t.instanceType === 't3.micro'),
  'vcpu-info.default-vcpus': (t) => String(t.vcpus),
  'memory-info.size-in-mib': (t) => String(t.memoryMib),
  'network-info.network-performance': (t) => t.networkPerformance,
  'burstable-performance-supported': (t) => String(t.family === 't3'),
  'processor-info.supported-architecture': () => 'x86_64',
};

type Zone = MessageInitShape<typeof AvailabilityZoneSchema> & { zoneName: string; zoneId: string };

export function zonesOf(config: ComputeConfig): Zone[] {
  return config.zones.map((zoneName, i) => ({
    zoneName,
    zoneId: `${config.region}-az${i + 1}`,
    state: 'available',
    regionName: config.region,
    zoneType: 'availability-zone',
    groupName: config.region,
    networkBorderGroup: config.region,
    optInStatus: 'opt-in-not-required',
    messages: [],
  }));
}

export function createCatalogApi(config: ComputeConfig, endpoint: () => string): CatalogApi {
  const zones = zonesOf(config);
  const zoneFilters: FilterFields<Zone> = {
    'zone-name': (z) => z.zoneName,
    'zone-id': (z) => z.zoneId,
    state: () => 'available',
    'region-name': () => config.region,
    'zone-type': () => 'availability-zone',
    'group-name': () => config.region,
  };
  return {
    async describeInstanceTypes(request) {
      for (const name of request.instanceTypes) {
        if (!instanceTypes.some((t) => t.instanceType === name)) {
          throw new ApiError(
            'InvalidInstanceType',
            `The following supplied instance types do not exist: [${name}]`,
          );
        }
      }
      const pageSize = resolveMaxResults(request.maxResults, { min: 5, max: 100 });
      const matches = compileFilters(request.filters, typeFilters);
      if (request.dryRun) throw dryRunOperation();
      const wanted = new Set(request.instanceTypes);
      const selected = instanceTypes
        .filter((t) => (wanted.size === 0 || wanted.has(t.instanceType)) && matches(t))
        .sort((a, b) => a.instanceType.localeCompare(b.instanceType));
      const page = pageOf(selected, (t) => t.instanceType, { nextToken: request.nextToken, pageSize });
      return { instanceTypes: page.items.map(toInstanceTypeInfo), nextToken: page.nextToken };
    },

    async describeInstanceTypeOfferings(request) {
      const locationType = request.locationType || 'region';
      const locations =
        locationType === 'region'
          ? [config.region]
          : locationType === 'availability-zone'
            ? zones.map((z) => z.zoneName)
            : locationType === 'availability-zone-id'
              ? zones.map((z) => z.zoneId)
              : undefined;
      if (!locations) throw invalidParameterValue(`Invalid value '${locationType}' for LocationType.`);
      const pageSize = resolveMaxResults(request.maxResults, { min: 5, max: 1000 });
      type Offering = { instanceType: string; locationType: string; location: string };
      const matches = compileFilters<Offering>(request.filters, {
        location: (o) => o.location,
        'instance-type': (o) => o.instanceType,
      });
      if (request.dryRun) throw dryRunOperation();
      const offerings = locations
        .flatMap((location) =>
          instanceTypes.map((t) => ({ instanceType: t.instanceType, locationType, location })),
        )
        .filter(matches);
      const page = pageOf(offerings, (o) => `${o.location}/${o.instanceType}`, {
        nextToken: request.nextToken,
        pageSize,
      });
      return { instanceTypeOfferings: page.items, nextToken: page.nextToken };
    },

    async describeAvailabilityZones(request) {
      for (const name of request.zoneNames) {
        if (!zones.some((z) => z.zoneName === name))
          throw invalidParameterValue(`The zone '${name}' does not exist.`);
      }
      for (const id of request.zoneIds) {
        if (!zones.some((z) => z.zoneId === id))
          throw invalidParameterValue(`The zone ID '${id}' does not exist.`);
      }
      const matches = compileFilters(request.filters, zoneFilters);
      if (request.dryRun) throw dryRunOperation();
      return {
        availabilityZones: zones.filter(
          (z) =>
            (request.zoneNames.length === 0 || request.zoneNames.includes(z.zoneName)) &&
            (request.zoneIds.length === 0 || request.zoneIds.includes(z.zoneId)) &&
            matches(z),
        ),
      };
    },

    async describeRegions(request) {
      for (const name of request.regionNames) {
        if (name !== config.region) throw new ApiError('InvalidParameterValue', `Invalid region: ${name}`);
      }
      const region = { regionName: config.region, endpoint: endpoint(), optInStatus: 'opt-in-not-required' };
      const matches = compileFilters<typeof region>(request.filters, {
        'region-name': (r) => r.regionName,
        endpoint: (r) => r.endpoint,
        'opt-in-status': (r) => r.optInStatus,
      });
      if (request.dryRun) throw dryRunOperation();
      return { regions: matches(region) ? [region] : [] };
    },
  };
}

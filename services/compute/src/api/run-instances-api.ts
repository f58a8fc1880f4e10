/**
 * RunInstances. Everything the launch depends on is checked before anything
 * is written (the request, the image, subnet, groups and key pair through
 * their services, DryRun), then capacity is placed for as many instances as
 * fit, up to MaxCount, and claimed in the same transaction that writes the
 * instances (pending) and the client token: the launch happens whole or not
 * at all, and a concurrent launch that took the capacity first makes this one
 * place again. Fewer than MinCount fit: InsufficientInstanceCapacity, nothing
 * written. The instance controller takes it from there.
 */
import type { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import type { RunInstancesRequest } from '@nimbus/api/gen/nimbus/compute/v1/instance_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  argumentsDigest,
  createClientTokens,
  dryRunOperation,
  invalidParameterValue,
  newId,
} from '@nimbus/service-kit';
import type { TxnOp } from '@nimbus/store';
import { insufficientCapacity } from '../domain/compute-errors.js';
import { roomiestZone } from '../domain/scheduler.js';
import { createCapacity } from '../state/capacity.js';
import { computeKeys } from '../state/compute-keys.js';
import { noteWrite } from '../state/instance-cache.js';
import { publishStateChange } from '../state/instance-events.js';
import type { InstanceRecord } from '../state/instance-records.js';
import { createInstanceStore } from '../state/instance-store.js';
import type { ApiDeps } from './api-deps.js';
import { privateDnsName, toInstance } from './instance-views.js';
import { lookUpGroups, lookUpImage, lookUpPublicKey, lookUpSubnet } from './launch-lookups.js';
import { checkLaunchRequest, volumesFor } from './launch-request.js';

type RunInstancesApi = Pick<ServiceImpl<typeof ComputeService>, 'runInstances'>;

export function createRunInstancesApi(deps: ApiDeps): RunInstancesApi {
  const instances = createInstanceStore(deps.store);
  const capacity = createCapacity(deps.store);
  const tokens = createClientTokens(deps.store, computeKeys.runClientToken);
  const region = deps.config.region;

  const reservationOf = async (accountId: string, reservationId: string) => {
    const made = (await instances.list(accountId))
      .map((r) => r.value)
      .filter((r) => r.reservationId === reservationId)
      .sort((a, b) => a.amiLaunchIndex - b.amiLaunchIndex);
    const first = made[0];
    return {
      reservationId,
      ownerId: accountId,
      requesterId: first?.requesterId ?? '',
      groups: [],
      instances: made.map((r) => toInstance(r, region)),
    };
  };

  return {
    async runInstances(request: RunInstancesRequest, context) {
      const { accountId } = context;
      const launch = checkLaunchRequest(request);
      const digest = argumentsDigest({ ...request, dryRun: false });
      if (request.clientToken !== '') {
        const earlier = await tokens.earlier(accountId, request.clientToken, digest);
        if (earlier !== undefined) return reservationOf(accountId, earlier);
      }
      if (launch.zone && !deps.config.zones.includes(launch.zone)) {
        throw invalidParameterValue(`Invalid availability zone: [${launch.zone}]`);
      }
      // The image, the subnet and the key pair are independent: asked at once.
      const subnetLookup = (async () => {
        const zone =
          launch.zone ||
          (launch.subnetId
            ? ''
            : roomiestZone(
                (await capacity.workers()).map((w) => w.value),
                deps.config.zones,
                '',
              ));
        return lookUpSubnet(deps.peers, accountId, launch.subnetId, zone);
      })();
      const [image, subnet, publicKey] = await Promise.all([
        lookUpImage(deps.peers, accountId, launch.imageId),
        subnetLookup,
        lookUpPublicKey(deps.peers, accountId, request.keyName),
      ]);
      const volumes = volumesFor(image.root, image.others, request.blockDeviceMappings);
      if (launch.zone && subnet.availabilityZone !== launch.zone) {
        throw invalidParameterValue(
          `The subnet '${subnet.subnetId}' is in ${subnet.availabilityZone}, not in the requested zone ${launch.zone}.`,
        );
      }
      const groups = await lookUpGroups(
        deps.peers,
        accountId,
        subnet.vpcId,
        launch.groupIds,
        launch.groupNames,
      );
      if (request.dryRun) throw dryRunOperation();

      const reservationId = newId('r');
      const ids = Array.from({ length: launch.maxCount }, () => newId('i'));
      const now = new Date(deps.now()).toISOString();
      const traceparent = deps.tracing?.capture();
      const need = { vcpus: launch.type.vcpus, memoryMib: launch.type.memoryMib };
      for (;;) {
        const planned = await capacity.plan({ zone: subnet.availabilityZone, runtime: '', need }, ids);
        if (planned.workers.length < launch.minCount) {
          throw insufficientCapacity(launch.type.instanceType, subnet.availabilityZone, launch.minCount);
        }
        const records: InstanceRecord[] = planned.workers.map((workerName, i) => ({
          instanceId: ids[i] as string,
          ownerId: accountId,
          reservationId,
          requesterId: context.service ? 'nimbus' : '',
          amiLaunchIndex: i,
          clientToken: request.clientToken,
          createTime: now,
          imageId: launch.imageId,
          instanceType: launch.type.instanceType,
          keyName: request.keyName,
          publicKey,
          availabilityZone: subnet.availabilityZone,
          subnetId: subnet.subnetId,
          vpcId: subnet.vpcId,
          groups,
          userData: request.userData,
          requestedPrivateIp: launch.privateIp,
          associatePublicIp: launch.associatePublicIp ?? subnet.mapPublicIpOnLaunch,
          interfaceDeleteOnTermination: launch.interfaceDeleteOnTermination,
          shutdownBehavior: launch.shutdownBehavior,
          disableApiTermination: request.disableApiTermination,
          metadataOptions: launch.metadataOptions,
          tags: launch.instanceTags,
          volumeTags: launch.volumeTags,
          image: image.facts,
          desired: 'running',
          forceStop: false,
          rebootGeneration: 0,
          generation: 1,
          state: 'pending',
          stateTransitionReason: '',
          launchTime: now,
          ...(traceparent ? { traceparent } : {}),
          volumes: volumes.map((v) => ({ ...v, volumeId: '', hostPath: '', attachTime: '', ready: false })),
          networkInterfaceId: '',
          attachmentId: '',
          privateIpAddress: '',
          privateDnsName: privateDnsName('', region),
          macAddress: '',
          subnetCidrBlock: subnet.cidrBlock,
          vpcCidrBlock: subnet.vpcCidrBlock,
          publicIp: '',
          workerName,
        }));
        const ops: TxnOp[] = [
          ...planned.ops,
          ...records.map(
            (r): TxnOp => ({
              type: 'create',
              key: computeKeys.instance(accountId, r.instanceId),
              value: JSON.stringify(r),
            }),
          ),
          ...(request.clientToken
            ? [tokens.claim(accountId, request.clientToken, digest, reservationId)]
            : []),
        ];
        const result = await deps.store.txn(ops);
        if (result.ok) {
          noteWrite(deps.store, accountId, result.revision);
          const sink = { bus: deps.bus, logger: context.logger };
          await Promise.all(
            records.map((r) => publishStateChange(sink, undefined, r, result.revision, context.requestId)),
          );
          return {
            reservationId,
            ownerId: accountId,
            requesterId: records[0]?.requesterId ?? '',
            groups: [],
            instances: records.map((r) => toInstance(r, region)),
          };
        }
        if (
          request.clientToken &&
          result.failedKey === computeKeys.runClientToken(accountId, request.clientToken)
        ) {
          const earlier = await tokens.earlier(accountId, request.clientToken, digest);
          if (earlier !== undefined) return reservationOf(accountId, earlier);
        }
        // A worker's capacity changed meanwhile: place again.
      }
    },
  };
}

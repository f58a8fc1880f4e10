/**
 * What the group controller asks of compute, always acting for the group's
 * account: launch one instance with a client token, read instances by id or
 * by client token, their status checks, and terminate.
 */
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import type { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { RunInstancesRequestSchema } from '@nimbus/api/gen/nimbus/compute/v1/instance_pb';
import { type Client, isRemoteError, type RemoteError } from '@nimbus/runtime';

/** How long a call may take: a controller pass never hangs on a silent peer. */
const callDeadlineMs = 30_000;

export interface InstanceView {
  instanceId: string;
  /** pending, running, shutting-down, terminated, stopping, stopped. */
  state: string;
  stateReason: string;
  clientToken: string;
  zone: string;
  instanceType: string;
}

export interface InstanceHealth {
  /** "ok", "impaired", "initializing", "insufficient-data", "not-applicable". */
  systemStatus: string;
  instanceStatus: string;
}

export interface ComputePort {
  /** Launches exactly one instance; the same token and request answer with the same instance. */
  launch(accountId: string, request: JsonValue): Promise<InstanceView>;
  /** The instances among `instanceIds` or launched with one of `clientTokens` that compute still knows. */
  describe(
    accountId: string,
    which: { instanceIds: string[]; clientTokens: string[] },
  ): Promise<InstanceView[]>;
  /** Status checks of running instances. */
  health(accountId: string, instanceIds: string[]): Promise<Map<string, InstanceHealth>>;
  /** Terminates one instance; an instance compute no longer knows counts as terminated. */
  terminate(accountId: string, instanceId: string): Promise<void>;
  /** The region's zone names. */
  zones(accountId: string): Promise<string[]>;
}

const refusalStatuses = new Set([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.FAILED_PRECONDITION,
  status.ALREADY_EXISTS,
  status.PERMISSION_DENIED,
]);

/** A refusal by compute that another attempt with the same arguments cannot fix (capacity aside, which may free up). */
export function isLaunchRefusal(error: unknown): error is RemoteError {
  return (
    isRemoteError(error) &&
    (refusalStatuses.has(error.status) || error.code === 'InsufficientInstanceCapacity')
  );
}

export function computePortOf(client: Client<typeof ComputeService>): ComputePort {
  const view = (i: {
    instanceId: string;
    state?: { name: string } | undefined;
    stateReason?: { code: string } | undefined;
    clientToken: string;
    placement?: { availabilityZone: string } | undefined;
    instanceType: string;
  }): InstanceView => ({
    instanceId: i.instanceId,
    state: i.state?.name ?? '',
    stateReason: i.stateReason?.code ?? '',
    clientToken: i.clientToken,
    zone: i.placement?.availabilityZone ?? '',
    instanceType: i.instanceType,
  });
  return {
    async launch(accountId, request) {
      const response = await client.runInstances(fromJson(RunInstancesRequestSchema, request), {
        accountId,
        deadlineMs: callDeadlineMs,
      });
      const instance = response.instances[0];
      if (!instance) throw new Error('RunInstances answered without an instance');
      return view(instance);
    },
    async describe(accountId, which) {
      const found: InstanceView[] = [];
      for (const [name, values] of [
        ['instance-id', which.instanceIds],
        ['client-token', which.clientTokens],
      ] as const) {
        if (values.length === 0) continue;
        let nextToken = '';
        do {
          const page = await client.describeInstances(
            { filters: [{ name, values: [...values] }], maxResults: 1000, nextToken },
            { accountId, deadlineMs: callDeadlineMs },
          );
          for (const r of page.reservations) for (const i of r.instances) found.push(view(i));
          nextToken = page.nextToken;
        } while (nextToken);
      }
      return [...new Map(found.map((i) => [i.instanceId, i])).values()];
    },
    async health(accountId, instanceIds) {
      const health = new Map<string, InstanceHealth>();
      if (instanceIds.length === 0) return health;
      let instanceStatuses: Awaited<ReturnType<typeof client.describeInstanceStatus>>['instanceStatuses'];
      try {
        ({ instanceStatuses } = await client.describeInstanceStatus(
          { instanceIds, includeAllInstances: true },
          { accountId, deadlineMs: callDeadlineMs },
        ));
      } catch (error) {
        // One of them vanished since it was described: the next pass sees which.
        if (isRemoteError(error) && error.code === 'InvalidInstanceID.NotFound') return health;
        throw error;
      }
      for (const s of instanceStatuses) {
        health.set(s.instanceId, {
          systemStatus: s.systemStatus?.status ?? '',
          instanceStatus: s.instanceStatus?.status ?? '',
        });
      }
      return health;
    },
    async zones(accountId) {
      const { availabilityZones } = await client.describeAvailabilityZones(
        {},
        { accountId, deadlineMs: callDeadlineMs },
      );
      return availabilityZones.map((z) => z.zoneName);
    },
    async terminate(accountId, instanceId) {
      try {
        await client.terminateInstances(
          { instanceIds: [instanceId] },
          { accountId, deadlineMs: callDeadlineMs },
        );
      } catch (error) {
        if (isRemoteError(error) && error.code === 'InvalidInstanceID.NotFound') return;
        throw error;
      }
    },
  };
}

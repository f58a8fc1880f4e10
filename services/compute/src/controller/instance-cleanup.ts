/**
 * What terminate undoes, in order, each step idempotent and recorded: the
 * auto-assigned public address, the interface (detached, then deleted when
 * DeleteOnTermination), the volumes with DeleteOnTermination, and the
 * capacity claimed on the worker. A volume the launch may have asked for but
 * not recorded (compute died in between) is asked for again with the same
 * client token, which answers with that volume if it exists, and deleted.
 */
import { isRemoteError } from '@nimbus/runtime';
import type { Stored } from '@nimbus/service-kit';
import type { Peers } from '../api/api-deps.js';
import type { Capacity } from '../state/capacity.js';
import type { InstanceRecord } from '../state/instance-records.js';
import type { InstanceStore } from '../state/instance-store.js';
import { isRefusalCode } from '../state/remote-refusals.js';
import { interfaceRequest, volumeRequest } from './launch-steps.js';

const gone = (error: unknown) => isRemoteError(error) && error.code.endsWith('.NotFound');

async function ignoringNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!gone(error)) throw error;
  }
}

export async function releasePublicIp(peers: Peers, r: InstanceRecord): Promise<void> {
  if (r.networkInterfaceId === '') return;
  await ignoringNotFound(
    peers.network.releasePublicIp({ networkInterfaceId: r.networkInterfaceId }, { accountId: r.ownerId }),
  );
}

export async function cleanUpInstance(
  peers: Peers,
  instances: InstanceStore,
  capacity: Capacity,
  record: Stored<InstanceRecord>,
): Promise<Stored<InstanceRecord>> {
  let current = record;
  const write = async (change: (r: InstanceRecord) => InstanceRecord) => {
    const written = await instances.update(current, change);
    if (!written) throw new Error(`instance ${current.value.instanceId} vanished`);
    current = written.record;
  };
  const r = () => current.value;
  const accountId = r().ownerId;
  const launchTried = r().launchStarted === true;

  await releasePublicIp(peers, r());
  if (r().publicIp !== '') await write((c) => ({ ...c, publicIp: '' }));

  if (r().networkInterfaceId === '' && launchTried) {
    // It may exist unrecorded: the token finds it (or makes it, to be deleted below).
    const made = await peers.network
      .createNetworkInterface(interfaceRequest(r()), { accountId })
      .catch((error: unknown) => {
        if (isRemoteError(error)) return undefined;
        throw error;
      });
    const id = made?.networkInterface?.networkInterfaceId;
    if (id) await write((c) => ({ ...c, networkInterfaceId: id }));
  }
  if (r().attachmentId !== '') {
    await ignoringNotFound(
      peers.network.detachNetworkInterface({ attachmentId: r().attachmentId, force: true }, { accountId }),
    );
    await write((c) => ({ ...c, attachmentId: '' }));
  }
  if (r().networkInterfaceId !== '' && r().interfaceDeleteOnTermination) {
    const networkInterfaceId = r().networkInterfaceId;
    const remove = () => peers.network.deleteNetworkInterface({ networkInterfaceId }, { accountId });
    await ignoringNotFound(
      remove().catch(async (error: unknown) => {
        if (!isRefusalCode(error, 'InvalidNetworkInterface.InUse')) throw error;
        // Attached by a launch that died before recording it: detach, then delete.
        const { networkInterfaces } = await peers.network.describeNetworkInterfaces(
          { networkInterfaceIds: [networkInterfaceId] },
          { accountId },
        );
        const attachmentId = networkInterfaces[0]?.attachment?.attachmentId;
        if (attachmentId)
          await peers.network.detachNetworkInterface({ attachmentId, force: true }, { accountId });
        await remove();
      }),
    );
    await write((c) => ({ ...c, networkInterfaceId: '' }));
  }

  for (const volume of r().volumes) {
    if (!volume.attached || volume.volumeId === '') continue;
    // The root volume is detached only by compute: block storage lets this call through.
    await ignoringNotFound(
      peers.storage.detachVolume(
        { volumeId: volume.volumeId, instanceId: r().instanceId, force: true },
        { accountId },
      ),
    ).catch((error: unknown) => {
      // Detached already (IncorrectState): nothing to undo.
      if (!(isRemoteError(error) && error.code === 'IncorrectState')) throw error;
    });
    await write((c) => ({
      ...c,
      volumes: c.volumes.map((v) => (v.deviceName === volume.deviceName ? { ...v, attached: false } : v)),
    }));
  }
  for (const volume of r().volumes) {
    if (!volume.deleteOnTermination) continue;
    let volumeId = volume.volumeId;
    if (volumeId === '' && launchTried) {
      const made = await peers.storage
        .createVolume(volumeRequest(r(), volume), { accountId })
        .catch((error: unknown) => {
          if (isRemoteError(error)) return undefined;
          throw error;
        });
      volumeId = made?.volume?.volumeId ?? '';
    }
    if (volumeId === '' || volume.deleted) continue;
    const remove = () => peers.storage.deleteVolume({ volumeId }, { accountId });
    await ignoringNotFound(
      remove().catch(async (error: unknown) => {
        if (!isRefusalCode(error, 'VolumeInUse')) throw error;
        // Attached by a launch that died before recording it: detach, then delete.
        await peers.storage.detachVolume(
          { volumeId, instanceId: r().instanceId, force: true },
          { accountId },
        );
        await remove();
      }),
    );
    await write((c) => ({
      ...c,
      volumes: c.volumes.map((v) =>
        v.deviceName === volume.deviceName ? { ...v, volumeId, deleted: true } : v,
      ),
    }));
  }

  if (r().workerName !== '') {
    await capacity.release(r().workerName, r().instanceId);
  }
  return current;
}

import { errorCode } from '@nimbus/service-kit';
import { type EtcdServer, type NatsServer, startEtcd, startNats } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkReplica, startReplica } from '../testing/network-replica.js';
import { type NetworkUnderTest, startNetworkUnderTest } from '../testing/network-under-test.js';

let etcd: EtcdServer;
let nats: NatsServer;
let net: NetworkUnderTest;
let replica: NetworkReplica;
let subnetId = '';
beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  net = await startNetworkUnderTest({ etcd, nats });
  replica = await startReplica(net);
  const { vpc } = await net.client.createVpc({ cidrBlock: '127.98.0.0/16' });
  const { subnet } = await net.client.createSubnet({ vpcId: vpc?.vpcId ?? '', cidrBlock: '127.98.1.0/24' });
  subnetId = subnet?.subnetId ?? '';
});
afterAll(async () => {
  await replica?.stop();
  await net?.stop();
  await Promise.all([etcd?.dispose(), nats?.dispose()]);
});

let instances = 0;
/** A fresh well-formed instance id (compute does not exist yet; the network service does not verify them). */
const newInstanceId = () => `i-${(++instances).toString(16).padStart(17, '0')}`;

async function newInterface() {
  const { networkInterface } = await net.client.createNetworkInterface({ subnetId });
  return networkInterface?.networkInterfaceId ?? '';
}

async function describeInterface(networkInterfaceId: string) {
  const [eni] = (await net.client.describeNetworkInterfaces({ networkInterfaceIds: [networkInterfaceId] }))
    .networkInterfaces;
  return eni;
}

describe('AttachNetworkInterface and DetachNetworkInterface over gRPC', () => {
  it('attaches at a device index, makes the instance addressable by AssociateAddress, and detaches', async () => {
    const instanceId = newInstanceId();
    const primary = await newInterface();
    const { attachmentId } = await net.client.attachNetworkInterface({
      networkInterfaceId: primary,
      instanceId,
      deviceIndex: 0,
    });
    expect(attachmentId).toMatch(/^eni-attach-[0-9a-f]{17}$/);
    expect(await describeInterface(primary)).toMatchObject({
      status: 'in-use',
      attachment: {
        attachmentId,
        instanceId,
        deviceIndex: 0,
        status: 'attached',
        deleteOnTermination: false,
      },
    });
    const byInstance = await net.client.describeNetworkInterfaces({
      filters: [{ name: 'attachment.instance-id', values: [instanceId] }],
    });
    expect(byInstance.networkInterfaces.map((n) => n.networkInterfaceId)).toEqual([primary]);

    // By instance: the interface at device index 0.
    const eip = await net.client.allocateAddress({});
    await net.client.associateAddress({ allocationId: eip.allocationId, instanceId });
    const [address] = (await net.client.describeAddresses({ allocationIds: [eip.allocationId] })).addresses;
    expect(address).toMatchObject({ instanceId, networkInterfaceId: primary });

    // A second interface at index 1, with an Elastic IP that names the instance until it is detached.
    const secondary = await newInterface();
    const eip2 = await net.client.allocateAddress({});
    await net.client.associateAddress({ allocationId: eip2.allocationId, networkInterfaceId: secondary });
    const second = await net.client.attachNetworkInterface({
      networkInterfaceId: secondary,
      instanceId,
      deviceIndex: 1,
    });
    const instanceOf = async (allocationId: string) =>
      (await net.client.describeAddresses({ allocationIds: [allocationId] })).addresses[0]?.instanceId;
    expect(await instanceOf(eip2.allocationId)).toBe(instanceId);
    await net.client.modifyNetworkInterfaceAttribute({
      networkInterfaceId: secondary,
      attachment: { attachmentId: second.attachmentId, deleteOnTermination: true },
    });
    expect((await describeInterface(secondary))?.attachment?.deleteOnTermination).toBe(true);
    expect(await errorCode(net.client.deleteNetworkInterface({ networkInterfaceId: secondary }))).toBe(
      'InvalidNetworkInterface.InUse',
    );
    await net.client.detachNetworkInterface({ attachmentId: second.attachmentId });
    const detached = await describeInterface(secondary);
    expect(detached?.status).toBe('available');
    expect(detached?.attachment).toBeUndefined();
    expect(await instanceOf(eip2.allocationId)).toBe('');
    expect(await errorCode(net.client.detachNetworkInterface({ attachmentId: second.attachmentId }))).toBe(
      'InvalidAttachmentID.NotFound',
    );
    // Index 1 is free again.
    await net.client.attachNetworkInterface({ networkInterfaceId: secondary, instanceId, deviceIndex: 1 });
  });

  it('refuses what EC2 refuses', async () => {
    const instanceId = newInstanceId();
    const eni = await newInterface();
    const attach = (request: object) =>
      errorCode(
        net.client.attachNetworkInterface({
          networkInterfaceId: eni,
          instanceId,
          deviceIndex: 1,
          ...request,
        }),
      );
    expect(await attach({ instanceId: 'i-nope' })).toBe('InvalidInstanceID.Malformed');
    expect(await attach({ instanceId: '' })).toBe('MissingParameter');
    expect(await attach({ networkInterfaceId: 'eni-0123456789abcdef0' })).toBe(
      'InvalidNetworkInterfaceID.NotFound',
    );
    expect(await attach({ deviceIndex: -1 })).toBe('InvalidParameterValue');
    expect(await attach({ dryRun: true })).toBe('DryRunOperation');
    expect(
      await errorCode(
        net.otherAccount.attachNetworkInterface({ networkInterfaceId: eni, instanceId, deviceIndex: 1 }),
      ),
    ).toBe('InvalidNetworkInterfaceID.NotFound');
    const { attachmentId } = await net.client.attachNetworkInterface({
      networkInterfaceId: eni,
      instanceId,
      deviceIndex: 0,
    });
    expect(await attach({ instanceId: newInstanceId() })).toBe('InvalidNetworkInterface.InUse');
    expect(await errorCode(net.client.detachNetworkInterface({ attachmentId }))).toBe(
      'OperationNotPermitted',
    );
    expect(await errorCode(net.otherAccount.detachNetworkInterface({ attachmentId }))).toBe(
      'InvalidAttachmentID.NotFound',
    );
    expect(await errorCode(net.client.detachNetworkInterface({ attachmentId: 'eni-attach-1' }))).toBe(
      'InvalidAttachmentID.Malformed',
    );
  });

  it('lets exactly one of two concurrent attachments take a device index, and one instance take an interface', async () => {
    const instanceId = newInstanceId();
    const [left, right] = [await newInterface(), await newInterface()];
    const slot = await Promise.allSettled([
      net.client.attachNetworkInterface({ networkInterfaceId: left, instanceId, deviceIndex: 2 }),
      replica.client.attachNetworkInterface({ networkInterfaceId: right, instanceId, deviceIndex: 2 }),
    ]);
    expect(slot.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const attachedAt2 = (
      await net.client.describeNetworkInterfaces({
        filters: [{ name: 'attachment.instance-id', values: [instanceId] }],
      })
    ).networkInterfaces;
    expect(attachedAt2).toHaveLength(1);

    const loner = await newInterface();
    const [first, second] = [newInstanceId(), newInstanceId()];
    const both = await Promise.allSettled([
      net.client.attachNetworkInterface({ networkInterfaceId: loner, instanceId: first, deviceIndex: 1 }),
      replica.client.attachNetworkInterface({
        networkInterfaceId: loner,
        instanceId: second,
        deviceIndex: 1,
      }),
    ]);
    const won = both.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    const lost = both.find((r) => r.status === 'rejected');
    expect(await errorCode(Promise.reject(lost?.reason))).toBe('InvalidNetworkInterface.InUse');
    expect((await describeInterface(loner))?.attachment?.instanceId).toBe(won[0] === 0 ? first : second);
  });
});

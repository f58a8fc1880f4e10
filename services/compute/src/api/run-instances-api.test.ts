import { errorCode, refusal } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { useComputeUnderTest } from '../testing/compute-under-test.js';

const compute = useComputeUnderTest();
let imageId: string;

beforeAll(async () => {
  // 64 vCPUs in nimbus-1a: eight t3.2xlarge (8 vCPUs each), or 32 t3.micro.
  await compute.worker({ workerName: 'api-1a', zone: 'nimbus-1a', vcpus: 64, memoryMib: 262144 });
  imageId = await compute.image();
}, 60_000);

const base = () => ({ imageId, minCount: 1, maxCount: 1, placement: { availabilityZone: 'nimbus-1a' } });
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('the catalog', () => {
  it('lists the four families with their figures, per zone and region', async () => {
    const { instanceTypes } = await compute.client.describeInstanceTypes({
      instanceTypes: ['t3.micro', 'm5.large'],
    });
    const micro = instanceTypes.find((t) => t.instanceType === 't3.micro');
    expect(micro?.vCpuInfo?.defaultVCpus).toBe(2);
    expect(micro?.memoryInfo?.sizeInMib).toBe(1024n);
    expect(micro?.networkInfo?.networkPerformance).toBe('Up to 5 Gigabit');
    expect(micro?.onDemandPriceUsdPerHour).toBe(0.0104);
    expect(micro?.freeTierEligible).toBe(true);
    expect(instanceTypes.find((t) => t.instanceType === 'm5.large')?.memoryInfo?.sizeInMib).toBe(8192n);
    expect(await errorCode(compute.client.describeInstanceTypes({ instanceTypes: ['t9.huge'] }))).toBe(
      'InvalidInstanceType',
    );
    const all = await compute.client.describeInstanceTypes({});
    expect(new Set(all.instanceTypes.map((t) => t.instanceType.split('.')[0]))).toEqual(
      new Set(['t3', 'm5', 'c5', 'r5']),
    );
    const fourVcpus = await compute.client.describeInstanceTypes({
      filters: [{ name: 'vcpu-info.default-vcpus', values: ['4'] }],
    });
    expect(fourVcpus.instanceTypes.map((t) => t.instanceType).sort()).toEqual([
      'c5.xlarge',
      'm5.xlarge',
      'r5.xlarge',
      't3.xlarge',
    ]);
    const offerings = await compute.client.describeInstanceTypeOfferings({
      locationType: 'availability-zone',
      filters: [{ name: 'instance-type', values: ['c5.large'] }],
    });
    expect(offerings.instanceTypeOfferings.map((o) => o.location)).toEqual(['nimbus-1a', 'nimbus-1b']);
    const zones = await compute.client.describeAvailabilityZones({});
    expect(zones.availabilityZones.map((z) => [z.zoneName, z.state, z.regionName])).toEqual([
      ['nimbus-1a', 'available', 'nimbus-1'],
      ['nimbus-1b', 'available', 'nimbus-1'],
    ]);
    expect((await compute.client.describeRegions({})).regions.map((r) => r.regionName)).toEqual(['nimbus-1']);
  });
});

describe('RunInstances', () => {
  it('refuses bad input with EC2 codes and launches nothing', async () => {
    const before = (await compute.client.describeInstances({})).reservations.length;
    expect(await errorCode(compute.client.runInstances({ ...base(), imageId: '' }))).toBe('MissingParameter');
    expect(await errorCode(compute.client.runInstances({ ...base(), imageId: 'ami-12' }))).toBe(
      'InvalidAMIID.Malformed',
    );
    expect(
      await errorCode(compute.client.runInstances({ ...base(), imageId: 'ami-0123456789abcdef0' })),
    ).toBe('InvalidAMIID.NotFound');
    expect(await errorCode(compute.client.runInstances({ ...base(), instanceType: 't3.giant' }))).toBe(
      'InvalidParameterValue',
    );
    expect(await errorCode(compute.client.runInstances({ ...base(), minCount: 2, maxCount: 1 }))).toBe(
      'InvalidParameterValue',
    );
    expect(await errorCode(compute.client.runInstances({ ...base(), userData: 'not base64!' }))).toBe(
      'InvalidUserData.Malformed',
    );
    const tooLong = await refusal(
      compute.client.runInstances({ ...base(), userData: b64('x'.repeat(16385)) }),
    );
    expect(tooLong).toEqual({
      code: 'InvalidParameterValue',
      message: 'User data is limited to 16384 bytes',
    });
    expect(
      await errorCode(compute.client.runInstances({ ...base(), subnetId: 'subnet-0123456789abcdef0' })),
    ).toBe('InvalidSubnetID.NotFound');
    expect(await errorCode(compute.client.runInstances({ ...base(), keyName: 'nobody' }))).toBe(
      'InvalidKeyPair.NotFound',
    );
    expect(await errorCode(compute.client.runInstances({ ...base(), securityGroups: ['nope'] }))).toBe(
      'InvalidGroup.NotFound',
    );
    expect(await errorCode(compute.client.runInstances({ ...base(), clientToken: 'x'.repeat(65) }))).toBe(
      'InvalidParameterValue',
    );
    const dry = await refusal(compute.client.runInstances({ ...base(), dryRun: true }));
    expect(dry).toEqual({
      code: 'DryRunOperation',
      message: 'Request would have succeeded, but DryRun flag is set.',
    });
    expect((await compute.client.describeInstances({})).reservations.length).toBe(before);
  });

  it('launches with the defaults: t3.micro, the default subnet of the zone, the default group, user data kept', async () => {
    const userData = b64('#!/bin/sh\necho hello\n');
    const run = await compute.client.runInstances({ ...base(), userData });
    const instance = run.instances[0];
    expect(instance?.instanceType).toBe('t3.micro');
    expect(instance?.securityGroups.map((g) => g.groupName)).toEqual(['default']);
    const { subnets } = await compute.network.describeSubnets({ subnetIds: [instance?.subnetId ?? ''] });
    expect(subnets[0]?.defaultForAz).toBe(true);
    expect(subnets[0]?.availabilityZone).toBe('nimbus-1a');
    expect(run.reservationId).toMatch(/^r-[0-9a-f]{17}$/);
    expect(instance?.instanceId).toMatch(/^i-[0-9a-f]{17}$/);
    const attribute = await compute.client.describeInstanceAttribute({
      instanceId: instance?.instanceId ?? '',
      attribute: 'userData',
    });
    expect(attribute.userData).toBe(userData);
  });

  it('launches as many as fit up to MaxCount, none when MinCount does not fit', async () => {
    const big = { ...base(), instanceType: 't3.2xlarge' };
    const free = async () => {
      const running = (
        await compute.client.describeInstances({
          filters: [{ name: 'instance-state-name', values: ['pending', 'running'] }],
        })
      ).reservations.flatMap((r) => r.instances);
      const used = running.reduce((sum, i) => sum + (i.instanceType === 't3.2xlarge' ? 8 : 2), 0);
      return Math.floor((64 - used) / 8);
    };
    const fit = await free();
    expect(
      await errorCode(compute.client.runInstances({ ...big, minCount: fit + 1, maxCount: fit + 5 })),
    ).toBe('InsufficientInstanceCapacity');
    const run = await compute.client.runInstances({ ...big, minCount: 1, maxCount: fit + 5 });
    expect(run.instances).toHaveLength(fit);
    expect(run.instances.map((i) => i.amiLaunchIndex)).toEqual([...Array(fit).keys()]);
    expect(await errorCode(compute.client.runInstances({ ...big }))).toBe('InsufficientInstanceCapacity');
    await compute.client.terminateInstances({ instanceIds: run.instances.map((i) => i.instanceId) });
    await waitUntil(async () => (await free()) === fit, {
      timeoutMs: 15_000,
      message: 'capacity given back',
    });
  }, 30_000);

  it('answers a repeated ClientToken with the first reservation, other arguments with IdempotentParameterMismatch', async () => {
    const first = await compute.client.runInstances({ ...base(), clientToken: 'launch-1' });
    const again = await compute.client.runInstances({ ...base(), clientToken: 'launch-1' });
    expect(again.reservationId).toBe(first.reservationId);
    expect(again.instances.map((i) => i.instanceId)).toEqual(first.instances.map((i) => i.instanceId));
    expect(
      await errorCode(
        compute.client.runInstances({ ...base(), instanceType: 't3.small', clientToken: 'launch-1' }),
      ),
    ).toBe('IdempotentParameterMismatch');
    // Another account may not launch A's private image.
    expect(await errorCode(compute.otherAccount.runInstances({ ...base(), clientToken: 'launch-1' }))).toBe(
      'InvalidAMIID.NotFound',
    );
  });
});

describe('instance state rules', () => {
  it('refuses what the state does not allow and changes nothing when an id is unknown', async () => {
    const run = await compute.client.runInstances({ ...base(), disableApiTermination: true });
    const id = run.instances[0]?.instanceId ?? '';
    expect(await errorCode(compute.client.stopInstances({ instanceIds: [id] }))).toBe(
      'IncorrectInstanceState',
    );
    expect(await errorCode(compute.client.terminateInstances({ instanceIds: [id] }))).toBe(
      'OperationNotPermitted',
    );
    expect(await errorCode(compute.client.terminateInstances({ instanceIds: ['i-0123456789abcdef0'] }))).toBe(
      'InvalidInstanceID.NotFound',
    );
    expect(await errorCode(compute.client.stopInstances({ instanceIds: ['i-123'] }))).toBe(
      'InvalidInstanceID.Malformed',
    );
    expect(await errorCode(compute.otherAccount.describeInstances({ instanceIds: [id] }))).toBe(
      'InvalidInstanceID.NotFound',
    );
    await waitUntil(
      async () =>
        (await compute.client.describeInstances({ instanceIds: [id] })).reservations[0]?.instances[0]?.state
          ?.name === 'running',
      {
        timeoutMs: 15_000,
      },
    );
    const start = await compute.client.startInstances({ instanceIds: [id] });
    expect(start.startingInstances[0]?.currentState?.name).toBe('running');
    expect(
      await errorCode(compute.client.modifyInstanceAttribute({ instanceId: id, instanceType: 't3.small' })),
    ).toBe('IncorrectInstanceState');
    await compute.client.modifyInstanceAttribute({ instanceId: id, disableApiTermination: false });
    const other = (await compute.client.runInstances(base())).instances[0]?.instanceId ?? '';
    expect(
      await errorCode(compute.client.terminateInstances({ instanceIds: [other, 'i-0123456789abcdef0'] })),
    ).toBe('InvalidInstanceID.NotFound');
    expect(
      (await compute.client.describeInstances({ instanceIds: [other] })).reservations[0]?.instances[0]?.state
        ?.name,
    ).not.toBe('shutting-down');
    await compute.client.stopInstances({ instanceIds: [id] });
    await waitUntil(
      async () =>
        (await compute.client.describeInstances({ instanceIds: [id] })).reservations[0]?.instances[0]?.state
          ?.name === 'stopped',
      {
        timeoutMs: 15_000,
      },
    );
    await compute.client.modifyInstanceAttribute({ instanceId: id, instanceType: 't3.small' });
    const type = await compute.client.describeInstanceAttribute({
      instanceId: id,
      attribute: 'instanceType',
    });
    expect(type.instanceType).toBe('t3.small');
    expect(await errorCode(compute.client.rebootInstances({ instanceIds: [id] }))).toBe(
      'IncorrectInstanceState',
    );
    await compute.client.terminateInstances({ instanceIds: [id, other] });
  }, 40_000);
});

describe('tags, filters and pages', () => {
  it('tags instances, finds them by tag and state, and pages through them', async () => {
    const run = await compute.client.runInstances({
      ...base(),
      minCount: 6,
      maxCount: 6,
      tagSpecifications: [{ resourceType: 'instance', tags: [{ key: 'team', value: 'blue' }] }],
    });
    const ids = run.instances.map((i) => i.instanceId);
    await compute.client.createTags({ resources: [ids[0] ?? ''], tags: [{ key: 'role', value: 'web' }] });
    const web = await compute.client.describeInstances({ filters: [{ name: 'tag:role', values: ['web'] }] });
    expect(web.reservations.flatMap((r) => r.instances.map((i) => i.instanceId))).toEqual([ids[0]]);
    const blue = await compute.client.describeTags({
      filters: [
        { name: 'key', values: ['team'] },
        { name: 'resource-id', values: ids },
      ],
    });
    expect(blue.tags).toHaveLength(6);
    await compute.client.deleteTags({ resources: [ids[0] ?? ''], tags: [{ key: 'role', value: 'db' }] });
    expect(
      (await compute.client.describeTags({ filters: [{ name: 'resource-id', values: [ids[0] ?? ''] }] }))
        .tags,
    ).toHaveLength(2);
    await compute.client.deleteTags({ resources: [ids[0] ?? ''], tags: [{ key: 'role' }] });
    expect(
      (await compute.client.describeTags({ filters: [{ name: 'resource-id', values: [ids[0] ?? ''] }] }))
        .tags,
    ).toHaveLength(1);
    const seen: string[] = [];
    let nextToken = '';
    do {
      const page = await compute.client.describeInstances({
        filters: [{ name: 'tag:team', values: ['blue'] }],
        maxResults: 5,
        nextToken,
      });
      seen.push(...page.reservations.flatMap((r) => r.instances.map((i) => i.instanceId)));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(seen.sort()).toEqual([...ids].sort());
    expect(await errorCode(compute.client.describeInstances({ instanceIds: ids, maxResults: 5 }))).toBe(
      'InvalidParameterCombination',
    );
    expect(
      await errorCode(compute.client.describeInstances({ filters: [{ name: 'color', values: ['x'] }] })),
    ).toBe('InvalidParameterValue');
    await compute.client.terminateInstances({ instanceIds: ids });
    const terminating = await compute.client.describeInstances({
      filters: [
        { name: 'instance-state-name', values: ['shutting-down', 'terminated'] },
        { name: 'tag:team', values: ['blue'] },
      ],
    });
    expect(terminating.reservations.flatMap((r) => r.instances)).toHaveLength(6);
  }, 30_000);
});

import { createEmbeddedStore, type Store } from '@nimbus/store';
import { afterEach, describe, expect, it } from 'vitest';
import { isNetworkError } from '../domain/network-errors.js';
import { staleMarkMs } from './marked-deletion.js';
import { createNetworkState } from './network-state.js';
import { createSecurityGroupDeletion } from './security-group-deletion.js';
import { txnOps } from './txn-ops.js';
import { vpcKeys } from './vpc-keys.js';
import type { NetworkInterfaceRecord, SecurityGroupRecord } from './vpc-records.js';

const account = '123456789012';
const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function group(groupId: string, rules: SecurityGroupRecord['rules'] = []): SecurityGroupRecord {
  return {
    groupId,
    groupName: groupId,
    description: 'test',
    vpcId: 'vpc-00000000000000001',
    ownerId: account,
    createTime: new Date(0).toISOString(),
    tags: [],
    rules,
  };
}

const eni = (id: string, groupIds: string[]) =>
  ({ networkInterfaceId: id, groupIds }) as unknown as NetworkInterfaceRecord;

async function setUp(now: () => number = Date.now) {
  const store = createEmbeddedStore();
  stores.push(store);
  const state = createNetworkState(store);
  await state.groups.create(
    vpcKeys.securityGroup(account, 'sg-00000000000000001'),
    group('sg-00000000000000001'),
  );
  await state.groupNames.create(vpcKeys.groupName(account, 'vpc-00000000000000001', 'sg-00000000000000001'), {
    groupId: 'sg-00000000000000001',
  });
  return { store, state, deletion: createSecurityGroupDeletion(state, now) };
}

const codeOf = (error: unknown) => (isNetworkError(error) ? error.code : String(error));

describe('deleting a security group while others start to use it', () => {
  it('fails a use that read the group before the deletion, instead of leaving it pointing at nothing', async () => {
    const { store, state, deletion } = await setUp();
    const read = await deletion.groupForDependent(account, 'sg-00000000000000001');
    await deletion.deleteGroup(account, 'sg-00000000000000001');
    const used = await store.txn([
      txnOps.check(read),
      txnOps.create(vpcKeys.networkInterface(account, 'eni-1'), eni('eni-1', ['sg-00000000000000001'])),
    ]);
    expect(used.ok).toBe(false);
    // The name went with it.
    expect(await state.groupNames.list(vpcKeys.groupName(account, 'vpc-00000000000000001', ''))).toEqual([]);
    expect(codeOf(await deletion.groupForDependent(account, 'sg-00000000000000001').catch((e) => e))).toBe(
      'InvalidGroup.NotFound',
    );
  });

  it('keeps a group that a use committed to first, and clears its mark', async () => {
    const { store, state, deletion } = await setUp();
    const read = await deletion.groupForDependent(account, 'sg-00000000000000001');
    const used = await store.txn([
      txnOps.check(read),
      txnOps.create(vpcKeys.networkInterface(account, 'eni-1'), eni('eni-1', ['sg-00000000000000001'])),
    ]);
    expect(used.ok).toBe(true);
    const refused = await deletion.deleteGroup(account, 'sg-00000000000000001').catch((e) => e);
    expect(codeOf(refused)).toBe('DependencyViolation');
    expect(String(refused)).toMatch(/network interface eni-1/);
    const kept = await state.group(account, 'sg-00000000000000001');
    expect(kept.value.deletingSince).toBeUndefined();
  });

  it('lets a use finish the decision of a deletion that died after marking', async () => {
    let clock = 1_000_000;
    const { state, deletion } = await setUp(() => clock);
    const stored = await state.group(account, 'sg-00000000000000001');
    await state.groups.update(stored, { ...stored.value, deletingSince: new Date(clock).toISOString() });
    clock += staleMarkMs;
    expect(codeOf(await deletion.groupForDependent(account, 'sg-00000000000000001').catch((e) => e))).toBe(
      'InvalidGroup.NotFound',
    );
  });
});

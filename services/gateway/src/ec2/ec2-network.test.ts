/** The network actions of EC2 driven by the AWS SDK through the gateway, as a user would. */
import { generateKeyPairSync } from 'node:crypto';
import {
  AllocateAddressCommand,
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  AttachNetworkInterfaceCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateKeyPairCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteKeyPairCommand,
  DeleteNetworkInterfaceCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAddressesCommand,
  DescribeKeyPairsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachNetworkInterfaceCommand,
  DisassociateAddressCommand,
  ImportKeyPairCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ModifySubnetAttributeCommand,
  ReleaseAddressCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { useGatewayUnderTest } from '../testing/gateway-under-test.js';
import { sdkError } from '../testing/sdk-error.js';

const gw = useGatewayUnderTest();

/** An OpenSSH ed25519 public key line, built from a fresh key. */
function openSshEd25519(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const withLength = (data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, data]);
  };
  const blob = Buffer.concat([withLength(Buffer.from('ssh-ed25519')), withLength(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')} test@nimbus`;
}

describe('key pairs', () => {
  it('creates, imports, describes page by page and deletes', async () => {
    const ec2 = gw.ec2();
    const created = await ec2.send(new CreateKeyPairCommand({ KeyName: 'made', KeyType: 'ed25519' }));
    expect(created.KeyMaterial).toContain('PRIVATE KEY');
    expect(created.KeyPairId).toMatch(/^key-[0-9a-f]{17}$/);
    const imported = await ec2.send(
      new ImportKeyPairCommand({ KeyName: 'brought', PublicKeyMaterial: Buffer.from(openSshEd25519()) }),
    );
    expect(imported.KeyFingerprint).toBeTruthy();
    const all = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['made', 'brought'] }));
    expect(all.KeyPairs?.map((k) => k.KeyName).sort()).toEqual(['brought', 'made']);
    const filtered = await ec2.send(
      new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: ['bro*'] }] }),
    );
    expect(filtered.KeyPairs?.map((k) => k.KeyName)).toEqual(['brought']);
    await ec2.send(new DeleteKeyPairCommand({ KeyName: 'made' }));
    const error = await sdkError(ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['made'] })));
    expect(error.name).toBe('InvalidKeyPair.NotFound');
    expect(error.$metadata.httpStatusCode).toBe(400);
    const duplicate = await sdkError(ec2.send(new CreateKeyPairCommand({ KeyName: 'brought' })));
    expect(duplicate.name).toBe('InvalidKeyPair.Duplicate');
  });

  it('keeps accounts apart', async () => {
    await gw.ec2().send(new CreateKeyPairCommand({ KeyName: 'only-a' }));
    const { KeyPairs } = await gw.ec2(gw.keyB).send(new DescribeKeyPairsCommand({}));
    expect(KeyPairs).toEqual([]);
  });
});

describe('VPCs, subnets, security groups, interfaces and addresses', () => {
  it('builds a network and takes it down', async () => {
    const ec2 = gw.ec2();
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: '127.20.0.0/16',
        TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'lab' }] }],
      }),
    );
    const vpcId = Vpc?.VpcId ?? '';
    expect(vpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    const byTag = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: ['lab'] }] }),
    );
    expect(byTag.Vpcs?.map((v) => v.VpcId)).toEqual([vpcId]);
    expect(byTag.Vpcs?.[0]?.Tags).toEqual([{ Key: 'Name', Value: 'lab' }]);

    const { Subnet } = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '127.20.1.0/24', AvailabilityZone: 'nimbus-1a' }),
    );
    const subnetId = Subnet?.SubnetId ?? '';
    expect(Subnet?.AvailableIpAddressCount).toBe(251);
    await ec2.send(
      new ModifySubnetAttributeCommand({ SubnetId: subnetId, MapPublicIpOnLaunch: { Value: true } }),
    );
    const subnets = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
    );
    expect(subnets.Subnets?.[0]?.MapPublicIpOnLaunch).toBe(true);

    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web servers', VpcId: vpcId }),
    );
    const groupId = GroupId ?? '';
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 80,
            ToPort: 80,
            IpRanges: [{ CidrIp: '127.0.0.0/8', Description: 'loopback' }],
          },
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: groupId }] },
        ],
      }),
    );
    await ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '127.0.0.53/32' }] },
        ],
      }),
    );
    const groups = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    const group = groups.SecurityGroups?.[0];
    expect(group?.Description).toBe('web servers');
    expect(group?.IpPermissions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          FromPort: 80,
          IpRanges: [{ CidrIp: '127.0.0.0/8', Description: 'loopback' }],
        }),
        expect.objectContaining({
          FromPort: 22,
          UserIdGroupPairs: [expect.objectContaining({ GroupId: groupId })],
        }),
      ]),
    );
    expect(group?.IpPermissionsEgress?.length).toBe(2);
    const rules = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    expect(rules.SecurityGroupRules?.length).toBe(4);
    await ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '127.0.0.0/8' }] },
        ],
      }),
    );
    await ec2.send(
      new RevokeSecurityGroupEgressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '127.0.0.53/32' }] },
        ],
      }),
    );
    const after = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    expect(after.SecurityGroupRules?.length).toBe(2);

    const { NetworkInterface } = await ec2.send(
      new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Groups: [groupId], Description: 'spare' }),
    );
    const eniId = NetworkInterface?.NetworkInterfaceId ?? '';
    expect(NetworkInterface?.PrivateIpAddress).toMatch(/^127\.20\.1\.\d+$/);
    const assigned = await ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, SecondaryPrivateIpAddressCount: 1 }),
    );
    const secondary = assigned.AssignedPrivateIpAddresses?.[0]?.PrivateIpAddress ?? '';
    expect(secondary).toMatch(/^127\.20\.1\.\d+$/);
    await ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: eniId,
        Description: { Value: 'web' },
      }),
    );
    const enis = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
    expect(enis.NetworkInterfaces?.[0]?.Description).toBe('web');
    expect(enis.NetworkInterfaces?.[0]?.PrivateIpAddresses?.map((p) => p.PrivateIpAddress)).toContain(
      secondary,
    );
    expect(enis.NetworkInterfaces?.[0]?.Groups?.[0]?.GroupId).toBe(groupId);
    await ec2.send(
      new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, PrivateIpAddresses: [secondary] }),
    );

    // Without compute in this region the network service takes the instance id on trust.
    const { AttachmentId } = await ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eniId,
        InstanceId: 'i-0123456789abcdef0',
        DeviceIndex: 1,
      }),
    );
    expect(AttachmentId).toMatch(/^eni-attach-[0-9a-f]{17}$/);
    const attached = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
    expect(attached.NetworkInterfaces?.[0]?.Attachment).toMatchObject({ AttachmentId, DeviceIndex: 1 });
    await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId }));
    const unknown = await sdkError(ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId })));
    expect(unknown.name).toMatch(/NotFound/);

    const allocation = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    expect(allocation.PublicIp).toMatch(/^127\.64\./);
    const { AssociationId } = await ec2.send(
      new AssociateAddressCommand({ AllocationId: allocation.AllocationId, NetworkInterfaceId: eniId }),
    );
    const addresses = await ec2.send(
      new DescribeAddressesCommand({ AllocationIds: [allocation.AllocationId ?? ''] }),
    );
    expect(addresses.Addresses?.[0]).toMatchObject({ NetworkInterfaceId: eniId, AssociationId });
    const inUse = await sdkError(
      ec2.send(new ReleaseAddressCommand({ AllocationId: allocation.AllocationId })),
    );
    expect(inUse.name).toBe('InvalidIPAddress.InUse');
    await ec2.send(new DisassociateAddressCommand({ AssociationId }));
    await ec2.send(new ReleaseAddressCommand({ AllocationId: allocation.AllocationId }));

    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId }));
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
    await ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
    const gone = await sdkError(ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })));
    expect(gone.name).toBe('InvalidVpcID.NotFound');
  });

  it('answers the service refusals with their codes', async () => {
    const ec2 = gw.ec2();
    const malformed = await sdkError(ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-nope'] })));
    expect(malformed.name).toBe('InvalidVpcID.Malformed');
    const dryRun = await sdkError(
      ec2.send(new CreateVpcCommand({ CidrBlock: '127.30.0.0/16', DryRun: true })),
    );
    expect(dryRun.name).toBe('DryRunOperation');
    expect(dryRun.$metadata.httpStatusCode).toBe(412);
  });
});

import {
  CreateKeyPairCommand,
  CreateVpcCommand,
  DescribeKeyPairsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { useGatewayUnderTest } from '../testing/gateway-under-test.js';

const gw = useGatewayUnderTest();

describe('EC2 network actions through the SDK', () => {
  it('creates and describes a VPC', async () => {
    const ec2 = gw.ec2();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '127.20.0.0/16' }));
    expect(Vpc?.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ VpcIds: [Vpc?.VpcId ?? ''] }));
    expect(Vpcs?.[0]?.CidrBlock).toBe('127.20.0.0/16');
  });

  it('creates a key pair', async () => {
    const ec2 = gw.ec2();
    const created = await ec2.send(new CreateKeyPairCommand({ KeyName: 'k1' }));
    expect(created.KeyMaterial).toContain('PRIVATE KEY');
    const { KeyPairs } = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['k1'] }));
    expect(KeyPairs?.[0]?.KeyFingerprint).toBe(created.KeyFingerprint);
  });
});

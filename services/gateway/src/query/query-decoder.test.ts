import { RunInstancesRequestSchema } from '@nimbus/api/gen/nimbus/compute/v1/instance_pb';
import { DescribeLoadBalancersRequestSchema } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancer_pb';
import { AuthorizeSecurityGroupIngressRequestSchema } from '@nimbus/api/gen/nimbus/network/v1/security_group_pb';
import { DescribeVolumesRequestSchema } from '@nimbus/api/gen/nimbus/storage/v1/volume_pb';
import { describe, expect, it } from 'vitest';
// The action tables register EC2's irregular names.
import '../ec2/ec2-actions.js';
import { decodeRequest } from './query-decoder.js';
import { QueryError } from './query-error.js';
import { queryParams } from './query-params.js';

function params(entries: Record<string, string>) {
  return new Map(Object.entries(entries));
}

function refusal(run: () => unknown): QueryError {
  try {
    run();
  } catch (error) {
    if (error instanceof QueryError) return error;
    throw error;
  }
  throw new Error('expected a QueryError');
}

describe('Query parameters to gRPC requests', () => {
  it('reads nested lists of structures in index order, whatever order they came in', () => {
    const request = decodeRequest(
      RunInstancesRequestSchema,
      params({
        Action: 'RunInstances',
        Version: '2016-11-15',
        ImageId: 'ami-0123456789abcdef0',
        MinCount: '1',
        MaxCount: '3',
        'SecurityGroupId.2': 'sg-2',
        'SecurityGroupId.1': 'sg-1',
        'BlockDeviceMapping.1.DeviceName': '/dev/xvda',
        'BlockDeviceMapping.1.Ebs.VolumeSize': '16',
        'BlockDeviceMapping.1.Ebs.DeleteOnTermination': 'false',
        'TagSpecification.1.ResourceType': 'instance',
        'TagSpecification.1.Tag.1.Key': 'Name',
        'TagSpecification.1.Tag.1.Value': 'web',
        'TagSpecification.1.Tag.2.Key': 'empty',
        'Placement.AvailabilityZone': 'nimbus-1b',
      }),
    );
    expect(request).toEqual({
      imageId: 'ami-0123456789abcdef0',
      minCount: 1,
      maxCount: 3,
      securityGroupIds: ['sg-1', 'sg-2'],
      blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: 16, deleteOnTermination: false } }],
      tagSpecifications: [
        { resourceType: 'instance', tags: [{ key: 'Name', value: 'web' }, { key: 'empty' }] },
      ],
      placement: { availabilityZone: 'nimbus-1b' },
    });
  });

  it('reads IpPermissions with their ranges and groups (EC2 keeps the plural there)', () => {
    const request = decodeRequest(
      AuthorizeSecurityGroupIngressRequestSchema,
      params({
        GroupId: 'sg-1',
        'IpPermissions.1.IpProtocol': 'tcp',
        'IpPermissions.1.FromPort': '22',
        'IpPermissions.1.ToPort': '22',
        'IpPermissions.1.IpRanges.1.CidrIp': '127.0.0.0/8',
        'IpPermissions.1.Groups.1.GroupId': 'sg-2',
      }),
    );
    expect(request.ipPermissions).toEqual([
      {
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        ipRanges: [{ cidrIp: '127.0.0.0/8' }],
        userIdGroupPairs: [{ groupId: 'sg-2' }],
      },
    ]);
  });

  it('reads Filter.N.Name and Filter.N.Value.M', () => {
    const request = decodeRequest(
      DescribeVolumesRequestSchema,
      params({
        'Filter.1.Name': 'status',
        'Filter.1.Value.1': 'available',
        'Filter.1.Value.2': 'in-use',
        MaxResults: '5',
      }),
    );
    expect(request).toEqual({
      filters: [{ name: 'status', values: ['available', 'in-use'] }],
      maxResults: 5,
    });
  });

  it('numbers lists as Name.member.N in the query style', () => {
    const request = decodeRequest(
      DescribeLoadBalancersRequestSchema,
      params({ 'Names.member.1': 'front', 'Names.member.2': 'back', PageSize: '10' }),
      [],
      'query',
    );
    expect(request).toEqual({ names: ['front', 'back'], pageSize: 10 });
  });

  it('refuses what no field takes, and values of the wrong type', () => {
    expect(refusal(() => decodeRequest(DescribeVolumesRequestSchema, params({ VolumeIds: 'x' }))).code).toBe(
      'UnknownParameter',
    );
    expect(
      refusal(() => decodeRequest(DescribeVolumesRequestSchema, params({ 'VolumeId.x': 'vol-1' }))).message,
    ).toBe('The parameter VolumeId.x is not recognized');
    const number = refusal(() =>
      decodeRequest(DescribeVolumesRequestSchema, params({ MaxResults: '9999999999' })),
    );
    expect(number).toMatchObject({ code: 'InvalidParameterValue' });
    const flag = refusal(() => decodeRequest(DescribeVolumesRequestSchema, params({ DryRun: 'yes' })));
    expect(flag.message).toContain('DryRun');
  });
});

describe('the parameters of a request', () => {
  it('come from the query string and a form body, minus the X-Amz-* signature ones', () => {
    const read = queryParams(
      'Action=DescribeVolumes&X-Amz-Date=20260101T000000Z',
      'Version=2016-11-15&Filter.1.Name=a+b%2Fc',
    );
    expect(Object.fromEntries(read)).toEqual({
      Action: 'DescribeVolumes',
      Version: '2016-11-15',
      'Filter.1.Name': 'a b/c',
    });
  });

  it('refuse a malformed percent-encoding', () => {
    expect(refusal(() => queryParams('', 'Action=%E')).code).toBe('MalformedQueryString');
  });
});

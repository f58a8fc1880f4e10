import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { DescribeLoadBalancersResponseSchema } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancer_pb';
import { AssignPrivateIpAddressesResponseSchema } from '@nimbus/api/gen/nimbus/network/v1/network_interface_pb';
import { DescribeVolumesResponseSchema } from '@nimbus/api/gen/nimbus/storage/v1/volume_pb';
import { describe, expect, it } from 'vitest';
import '../ec2/ec2-actions.js';
import '../elbv2/elbv2-actions.js';
import { messageXml } from './xml-encoder.js';

describe('gRPC responses to XML', () => {
  it('writes EC2 items, renamed fields, timestamps, and escapes text', () => {
    const response = create(DescribeVolumesResponseSchema, {
      volumes: [
        {
          volumeId: 'vol-1',
          size: 8,
          state: 'available',
          encrypted: false,
          createTime: timestampFromDate(new Date('2026-01-02T03:04:05.006Z')),
          tags: [{ key: 'Name', value: 'a<b & "c"' }],
        },
      ],
    });
    const xml = messageXml(DescribeVolumesResponseSchema, response as never, true);
    expect(xml).toContain('<volumeSet><item><volumeId>vol-1</volumeId><size>8</size>');
    expect(xml).toContain('<status>available</status>');
    expect(xml).toContain('<createTime>2026-01-02T03:04:05.006Z</createTime>');
    expect(xml).toContain('<encrypted>false</encrypted>');
    expect(xml).toContain(
      '<tagSet><item><key>Name</key><value>a&lt;b &amp; &quot;c&quot;</value></item></tagSet>',
    );
    expect(xml).not.toContain('<snapshotId>');
    expect(xml).not.toContain('attachmentSet');
  });

  it("writes an answer's own empty lists, as EC2 does", () => {
    expect(
      messageXml(DescribeVolumesResponseSchema, create(DescribeVolumesResponseSchema, {}) as never, true),
    ).toBe('<volumeSet/>');
  });

  it('wraps values where EC2 has one-member structures', () => {
    const response = create(AssignPrivateIpAddressesResponseSchema, {
      networkInterfaceId: 'eni-1',
      assignedPrivateIpAddresses: ['127.16.0.5'],
    });
    expect(messageXml(AssignPrivateIpAddressesResponseSchema, response as never)).toBe(
      '<networkInterfaceId>eni-1</networkInterfaceId><assignedPrivateIpAddressesSet><item><privateIpAddress>127.16.0.5</privateIpAddress></item></assignedPrivateIpAddressesSet>',
    );
  });

  it('writes PascalCase names and <member> items in the query style', () => {
    const response = create(DescribeLoadBalancersResponseSchema, {
      loadBalancers: [{ loadBalancerName: 'front', dnsName: 'front.nimbus', securityGroups: ['sg-1'] }],
    });
    expect(messageXml(DescribeLoadBalancersResponseSchema, response as never, true, 'query')).toBe(
      '<LoadBalancers><member><DNSName>front.nimbus</DNSName><LoadBalancerName>front</LoadBalancerName><SecurityGroups><member>sg-1</member></SecurityGroups></member></LoadBalancers>',
    );
  });
});

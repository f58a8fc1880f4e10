import { cidrContains, loopbackCidr, tryParseIpv4 } from '../domain/cidr.js';
import type { SecurityGroupRule } from '../domain/security-group-rules.js';
import type { AddressRecord, InterfacePublicIp } from '../state/address-ledger.js';
import type { ReportedPort } from '../state/listening-port-keys.js';
import type { NetworkInterfaceRecord, SecurityGroupRecord } from '../state/vpc-records.js';
import type { EdgeMapping } from './edge-mapping.js';

/** What the desired table is derived from: the network service's records, however they are read. */
export interface EdgeSources {
  /** Every Elastic IP of every account; only associated ones are mapped. */
  addresses: Iterable<AddressRecord>;
  /** Every auto-assigned public address, with the account of its interface. */
  interfacePublicIps: Iterable<{ ownerId: string; publicIp: InterfacePublicIp }>;
  networkInterface(ownerId: string, networkInterfaceId: string): NetworkInterfaceRecord | undefined;
  securityGroup(ownerId: string, groupId: string): SecurityGroupRecord | undefined;
  /** The ports an instance reported; undefined when it reported none. */
  listeningPorts(instanceId: string): readonly ReportedPort[] | undefined;
}

const isLoopbackAddress = (ip: string) => {
  const parsed = tryParseIpv4(ip);
  return parsed !== undefined && cidrContains(loopbackCidr, parsed);
};

/** The TCP ports an instance listens on at one of its private addresses. */
function tcpPortsAt(reported: readonly ReportedPort[] | undefined, privateIp: string): number[] | undefined {
  if (!reported) return undefined;
  const ports = new Set<number>();
  for (const { protocol, privateIpAddress, port } of reported) {
    if (protocol !== 'tcp') continue;
    if (privateIpAddress === privateIp || privateIpAddress === '0.0.0.0') {
      ports.add(port);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * The edge's desired forwarding table: one mapping per public address that
 * leads to an existing interface (an associated Elastic IP, to its private
 * address; an auto-assigned address, to the primary one), with the ingress
 * rules of every group of the interface and the instance's listening ports.
 *
 * The sources may be a moment apart (each kind of record is watched on its
 * own), so what does not add up yet is left out rather than refused: an
 * association whose interface or private address is not known, a group not
 * known, an address outside 127.0.0.0/8, or a public address seen twice (the
 * first in address order stays). The next change makes it whole again.
 * Sorted by public address, so that equal tables compare equal.
 */
export function desiredEdgeTable(sources: EdgeSources): EdgeMapping[] {
  const targets: { publicIp: string; ownerId: string; networkInterfaceId: string; privateIp?: string }[] = [];
  for (const address of sources.addresses) {
    const association = address.association;
    if (!association) continue;
    targets.push({
      publicIp: address.publicIp,
      ownerId: association.networkInterfaceOwnerId,
      networkInterfaceId: association.networkInterfaceId,
      privateIp: association.privateIpAddress,
    });
  }
  for (const { ownerId, publicIp } of sources.interfacePublicIps) {
    targets.push({ publicIp: publicIp.publicIp, ownerId, networkInterfaceId: publicIp.networkInterfaceId });
  }
  targets.sort((a, b) => (a.publicIp < b.publicIp ? -1 : a.publicIp > b.publicIp ? 1 : 0));

  const table: EdgeMapping[] = [];
  const mapped = new Set<string>();
  for (const target of targets) {
    if (mapped.has(target.publicIp) || !isLoopbackAddress(target.publicIp)) continue;
    const eni = sources.networkInterface(target.ownerId, target.networkInterfaceId);
    if (!eni) continue;
    const privateIp = target.privateIp ?? eni.privateIpAddresses[0];
    if (
      privateIp === undefined ||
      !eni.privateIpAddresses.includes(privateIp) ||
      !isLoopbackAddress(privateIp)
    ) {
      continue;
    }
    const rules: SecurityGroupRule[] = [];
    for (const groupId of eni.groupIds) {
      const group = sources.securityGroup(eni.ownerId, groupId);
      for (const rule of group?.rules ?? []) {
        if (!rule.isEgress) rules.push(rule);
      }
    }
    const reported = eni.attachment ? sources.listeningPorts(eni.attachment.instanceId) : undefined;
    const listeningPorts = tcpPortsAt(reported, privateIp);
    mapped.add(target.publicIp);
    table.push({
      publicIp: target.publicIp,
      privateIp,
      rules,
      ...(listeningPorts ? { listeningPorts } : {}),
    });
  }
  return table;
}

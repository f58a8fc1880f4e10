import { cidrContains, loopbackCidr, tryParseIpv4 } from '../domain/cidr.js';
import { createRuleMatcher, type RuleMatcher, tcpPortRanges } from '../domain/rule-matcher.js';
import type { SecurityGroupRule } from '../domain/security-group-rules.js';

/**
 * One row of the edge's desired forwarding table: a public IPv4 address (auto-
 * assigned or Elastic) and the private address it stands for, with the ingress
 * rules of every security group of that interface. A pure value: the network
 * service derives the table from its addresses and groups, the edge makes it so.
 */
export interface EdgeMapping {
  /** The public address the edge listens on; in 127.0.0.0/8 (DESIGN: addresses on one host). */
  publicIp: string;
  /** Where allowed connections go, port for port; in 127.0.0.0/8. */
  privateIp: string;
  /** The union of the interface's groups' rules; egress rules are ignored. */
  rules: readonly SecurityGroupRule[];
  /**
   * The TCP ports the instance really listens on (reported by its worker).
   * Only consulted for wide port ranges; undefined means none known yet.
   */
  listeningPorts?: readonly number[];
}

/** A table the edge refuses as a whole (nothing of it is applied). */
export class EdgeMappingError extends Error {
  override name = 'EdgeMappingError';
}

/** The compiled form of a mapping: what the edge keeps per public address. */
export interface EdgeRoute {
  publicIp: string;
  privateIp: string;
  /** The TCP ports to listen on. */
  ports: ReadonlySet<number>;
  /** The mapping's ingress rules, for engines that compile them themselves. */
  ingress: readonly SecurityGroupRule[];
  /** Whether a TCP connection from `source` (with its groups, if any) to `port` is allowed. */
  allows: RuleMatcher;
  /** Whether some ingress rule names a group, so the source's groups matter. */
  hasGroupRules: boolean;
}

function requireLoopbackAddress(field: string, value: string): void {
  const ip = typeof value === 'string' ? tryParseIpv4(value) : undefined;
  if (ip === undefined || !cidrContains(loopbackCidr, ip)) {
    throw new EdgeMappingError(`${field} '${value}' is not an IPv4 address in 127.0.0.0/8`);
  }
}

/**
 * The ports to listen on for one mapping. Each merged range of allowed TCP
 * ports up to `wideRangeThreshold` ports long is listened on whole (a port
 * nobody serves then refuses as the instance does); a wider range, such as
 * the 0-65535 of an all-traffic rule, only on the instance's listening ports.
 * Port 0 is never listened on.
 */
export function listenerPorts(
  ingress: readonly SecurityGroupRule[],
  listeningPorts: readonly number[] | undefined,
  wideRangeThreshold: number,
): Set<number> {
  const ports = new Set<number>();
  const listenAt = (range: { from: number; to: number }) => {
    for (const port of listeningPorts ?? []) {
      if (Number.isInteger(port) && port >= Math.max(1, range.from) && port <= range.to) ports.add(port);
    }
  };
  // A narrow rule's ports are listened on even inside a wide rule (port 80 open to all
  // beside the default group's all-traffic rule); narrow rules that touch merge, so
  // that splitting a wide range into small rules does not make it narrow.
  const width = (rule: SecurityGroupRule) =>
    rule.ipProtocol === '-1' ? 65536 : rule.toPort - rule.fromPort + 1;
  const narrow = ingress.filter((rule) => width(rule) <= wideRangeThreshold);
  for (const range of tcpPortRanges(narrow)) {
    if (range.to - range.from + 1 <= wideRangeThreshold) {
      for (let port = Math.max(1, range.from); port <= range.to; port++) ports.add(port);
    } else {
      listenAt(range);
    }
  }
  for (const range of tcpPortRanges(ingress.filter((rule) => width(rule) > wideRangeThreshold)))
    listenAt(range);
  return ports;
}

/**
 * Validates a whole table and compiles it, keyed by public address. Throws an
 * EdgeMappingError for an address outside 127.0.0.0/8 or a public address
 * mapped twice.
 */
export function compileEdgeTable(
  mappings: readonly EdgeMapping[],
  wideRangeThreshold: number,
): Map<string, EdgeRoute> {
  const routes = new Map<string, EdgeRoute>();
  for (const mapping of mappings) {
    requireLoopbackAddress('publicIp', mapping.publicIp);
    requireLoopbackAddress('privateIp', mapping.privateIp);
    if (routes.has(mapping.publicIp)) {
      throw new EdgeMappingError(`publicIp '${mapping.publicIp}' is mapped more than once`);
    }
    const ingress = mapping.rules.filter((rule) => !rule.isEgress);
    routes.set(mapping.publicIp, {
      publicIp: mapping.publicIp,
      privateIp: mapping.privateIp,
      ports: listenerPorts(ingress, mapping.listeningPorts, wideRangeThreshold),
      ingress,
      allows: createRuleMatcher(ingress),
      hasGroupRules: ingress.some((rule) => rule.referencedGroupId !== undefined),
    });
  }
  return routes;
}

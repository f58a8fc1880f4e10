import { formatCidr, parseCidr } from '../domain/cidr.js';
import type { SecurityGroupRule } from '../domain/security-group-rules.js';

/** One listener of the HAProxy engine: a public ip:port, who may connect, where it goes. */
export interface HaproxyListener {
  publicIp: string;
  port: number;
  privateIp: string;
  /** Source CIDRs that some ingress rule allows on this port; empty refuses everyone. */
  sources: string[];
}

const isTcp = (rule: SecurityGroupRule) =>
  rule.ipProtocol === '-1' || rule.ipProtocol === 'tcp' || rule.ipProtocol === '6';

/**
 * The source CIDRs allowed to `port` by CIDR rules, normalized (parsed and
 * formatted again, so nothing but an address and a length reaches the config).
 * Group rules match nothing here: the HAProxy engine has no `sourceGroups`.
 */
export function allowedSources(ingress: readonly SecurityGroupRule[], port: number): string[] {
  const sources = new Set<string>();
  for (const rule of ingress) {
    if (rule.isEgress || !isTcp(rule) || rule.cidrIpv4 === undefined) continue;
    if (rule.ipProtocol !== '-1' && (port < rule.fromPort || port > rule.toPort)) continue;
    sources.add(formatCidr(parseCidr(rule.cidrIpv4)));
  }
  return [...sources].sort();
}

/**
 * The whole configuration: one frontend per listener that resets a refused
 * source at once (`tcp-request connection reject`), and its backend with one
 * server at privateIp on the same port, tried once as a direct dial would be.
 * No `option nolinger`: it would turn an instance's refusal into a reset for
 * the client, but it also resets connections at their normal end (measured:
 * 200 to 300 of 300 short connections with 1 KB and a half-close saw a reset
 * or lost the instance's answer).
 * One thread and 256 KB buffers: what measured best against a direct
 * connection on a 2-core host (services/network/bench/edge.bench.ts); buffers
 * are taken only while data is in flight. No client or server timeout worth
 * the name, as the Node engine has none. The admin socket keeps a worker
 * without frontends valid, so that a table with no listeners still keeps
 * established connections.
 */
export function haproxyConfig(dir: string, listeners: readonly HaproxyListener[]): string {
  const lines = [
    'global',
    '  nbthread 1',
    '  tune.bufsize 262144',
    `  stats socket ${dir}/admin.sock mode 600 level admin`,
    'defaults',
    '  mode tcp',
    '  retries 0',
    '  timeout connect 5s',
    '  timeout client 24d',
    '  timeout server 24d',
  ];
  for (const { publicIp, port, privateIp, sources } of listeners) {
    const name = `${publicIp}_${port}`;
    lines.push(
      `frontend f_${name}`,
      `  bind ${publicIp}:${port}`,
      sources.length > 0
        ? `  tcp-request connection reject unless { src ${sources.join(' ')} }`
        : '  tcp-request connection reject',
      `  default_backend b_${name}`,
      `backend b_${name}`,
      `  server instance ${privateIp}:${port}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

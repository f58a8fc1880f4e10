/**
 * The security groups of an application load balancer, as its listeners
 * apply them: a client connection is accepted when an ingress rule of one of
 * the groups allows TCP to the listener's port from the client's address.
 * Rules that name a source group instead of a CIDR allow nobody here (the
 * balancer cannot tell which group a client's address belongs to). Nimbus: a
 * load balancer created without security groups accepts every client.
 */

export interface IngressRule {
  /** "tcp", "6", "-1" (all), or another protocol (which never matches TCP). */
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrs: string[];
}

/** Whether a client at `ip` may connect to `port`. */
export type IngressCheck = (ip: string, port: number) => boolean;

function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.replace(/^::ffff:/, '').split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    const n = Number(part);
    if (!/^\d{1,3}$/.test(part) || n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

function cidrMatcher(cidr: string): (ip: number) => boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const start = ipv4ToNumber(base);
  const prefix = Number(bits);
  if (start === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return () => false;
  const size = 2 ** (32 - prefix);
  const first = Math.floor(start / size) * size;
  return (ip) => ip >= first && ip < first + size;
}

export function compileIngress(rules: readonly IngressRule[]): IngressCheck {
  const compiled = rules
    .filter((r) => r.protocol === 'tcp' || r.protocol === '6' || r.protocol === '-1')
    .map((r) => ({
      all: r.protocol === '-1',
      from: r.fromPort ?? 0,
      to: r.toPort ?? 65535,
      sources: r.cidrs.map(cidrMatcher),
    }));
  return (ip, port) => {
    const address = ipv4ToNumber(ip);
    if (address === undefined) return false;
    return compiled.some(
      (r) => (r.all || (port >= r.from && port <= r.to)) && r.sources.some((matches) => matches(address)),
    );
  };
}

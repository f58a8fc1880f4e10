/**
 * The instance type catalog: the t3, m5, c5 and r5 families with their
 * vCPUs, memory, network performance and on-demand list prices (USD per hour,
 * Linux, us-east-1), as AWS publishes them.
 */

export interface InstanceTypeSpec {
  instanceType: string;
  family: 't3' | 'm5' | 'c5' | 'r5';
  vcpus: number;
  memoryMib: number;
  networkPerformance: string;
  maxNetworkInterfaces: number;
  ipv4PerInterface: number;
  pricePerHour: number;
  clockGhz: number;
}

type Row = [
  size: string,
  vcpus: number,
  memoryGib: number,
  network: string,
  enis: number,
  ips: number,
  price: number,
];

const families: Record<InstanceTypeSpec['family'], { clockGhz: number; rows: Row[] }> = {
  t3: {
    clockGhz: 3.1,
    rows: [
      ['nano', 2, 0.5, 'Up to 5 Gigabit', 2, 2, 0.0052],
      ['micro', 2, 1, 'Up to 5 Gigabit', 2, 2, 0.0104],
      ['small', 2, 2, 'Up to 5 Gigabit', 3, 4, 0.0208],
      ['medium', 2, 4, 'Up to 5 Gigabit', 3, 6, 0.0416],
      ['large', 2, 8, 'Up to 5 Gigabit', 3, 12, 0.0832],
      ['xlarge', 4, 16, 'Up to 5 Gigabit', 4, 15, 0.1664],
      ['2xlarge', 8, 32, 'Up to 5 Gigabit', 4, 15, 0.3328],
    ],
  },
  m5: {
    clockGhz: 3.1,
    rows: [
      ['large', 2, 8, 'Up to 10 Gigabit', 3, 10, 0.096],
      ['xlarge', 4, 16, 'Up to 10 Gigabit', 4, 15, 0.192],
      ['2xlarge', 8, 32, 'Up to 10 Gigabit', 4, 15, 0.384],
      ['4xlarge', 16, 64, 'Up to 10 Gigabit', 8, 30, 0.768],
    ],
  },
  c5: {
    clockGhz: 3.4,
    rows: [
      ['large', 2, 4, 'Up to 10 Gigabit', 3, 10, 0.085],
      ['xlarge', 4, 8, 'Up to 10 Gigabit', 4, 15, 0.17],
      ['2xlarge', 8, 16, 'Up to 10 Gigabit', 4, 15, 0.34],
      ['4xlarge', 16, 32, 'Up to 10 Gigabit', 8, 30, 0.68],
    ],
  },
  r5: {
    clockGhz: 3.1,
    rows: [
      ['large', 2, 16, 'Up to 10 Gigabit', 3, 10, 0.126],
      ['xlarge', 4, 32, 'Up to 10 Gigabit', 4, 15, 0.252],
      ['2xlarge', 8, 64, 'Up to 10 Gigabit', 4, 15, 0.504],
      ['4xlarge', 16, 128, 'Up to 10 Gigabit', 8, 30, 1.008],
    ],
  },
};

export const instanceTypes: readonly InstanceTypeSpec[] = Object.entries(families).flatMap(
  ([family, { clockGhz, rows }]) =>
    rows.map(([size, vcpus, memoryGib, networkPerformance, enis, ips, price]) => ({
      instanceType: `${family}.${size}`,
      family: family as InstanceTypeSpec['family'],
      vcpus,
      memoryMib: memoryGib * 1024,
      networkPerformance,
      maxNetworkInterfaces: enis,
      ipv4PerInterface: ips,
      pricePerHour: price,
      clockGhz,
    })),
);

const byName = new Map(instanceTypes.map((t) => [t.instanceType, t]));

/** Nimbus: the type of a launch that names none. */
export const defaultInstanceType = 't3.micro';

export function findInstanceType(name: string): InstanceTypeSpec | undefined {
  return byName.get(name);
}

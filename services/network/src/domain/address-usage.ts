import { invalidParameterValue } from './network-errors.js';

/**
 * Public IPv4 usage and cost per account and month (UTC), from the intervals
 * in which the account held each address and had it associated. Every held
 * address costs by the hour, in use or idle (EC2's rule since February 2024);
 * remaps (associations of an Elastic IP) beyond a free allowance cost each
 * (the historical Elastic IP rule). Prices are configuration.
 */
export interface AddressPriceList {
  /** USD per address and hour, in use or idle. Default 0.005. */
  addressHourUsd: number;
  /** USD per remap beyond the free ones. Default 0.10. */
  remapUsd: number;
  /** Free remaps per account and month. Default 100. */
  freeRemapsPerMonth: number;
}

export const defaultAddressPriceList: AddressPriceList = {
  addressHourUsd: 0.005,
  remapUsd: 0.1,
  freeRemapsPerMonth: 100,
};

/** Times are epoch milliseconds; an open interval (`until` unset) is still going on. */
export interface Interval {
  from: number;
  until?: number;
}

export interface AddressHolding {
  publicIp: string;
  /** Set for an Elastic IP; unset for an auto-assigned address, which is in use whenever held. */
  allocationId?: string;
  /** From allocation (or auto-assignment) to release. */
  held: Interval;
  /** When the Elastic IP was associated; each association is one remap. */
  associations?: readonly Interval[];
}

export interface AddressUsage {
  publicIp: string;
  allocationId: string;
  inUseHours: number;
  idleHours: number;
  remaps: number;
}

export interface AddressUsageReport {
  accountId: string;
  /** `YYYY-MM`. */
  month: string;
  inUseHours: number;
  idleHours: number;
  remaps: number;
  billableRemaps: number;
  addressHoursCostUsd: number;
  remapCostUsd: number;
  totalCostUsd: number;
  addresses: AddressUsage[];
}

const hourMs = 3_600_000;

/** The month's bounds in epoch ms (UTC): `[start, end)`. */
export function monthWindow(month: string): { start: number; end: number } {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match)
    throw invalidParameterValue(`Value (${month}) for parameter month is invalid. Expected YYYY-MM.`);
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  return { start: Date.UTC(year, index, 1), end: Date.UTC(year, index + 1, 1) };
}

/** The `YYYY-MM` (UTC) of a time. */
export function monthOf(time: number): string {
  return new Date(time).toISOString().slice(0, 7);
}

function clip(interval: Interval, start: number, end: number, now: number): [number, number] | undefined {
  const from = Math.max(interval.from, start);
  const until = Math.min(interval.until ?? now, end, now);
  return until > from ? [from, until] : undefined;
}

/** Total length of the union of intervals. */
function unionLength(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let current: [number, number] | undefined;
  for (const [from, until] of sorted) {
    if (current && from <= current[1]) {
      current[1] = Math.max(current[1], until);
    } else {
      if (current) total += current[1] - current[0];
      current = [from, until];
    }
  }
  return current ? total + current[1] - current[0] : total;
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

export function addressUsageReport(input: {
  accountId: string;
  month: string;
  holdings: readonly AddressHolding[];
  /** Usage is counted up to now within the current month. */
  now: number;
  prices?: AddressPriceList;
}): AddressUsageReport {
  const prices = input.prices ?? defaultAddressPriceList;
  const { start, end } = monthWindow(input.month);
  const addresses: AddressUsage[] = [];
  let inUseMs = 0;
  let idleMs = 0;
  let remaps = 0;

  for (const holding of input.holdings) {
    const held = clip(holding.held, start, end, input.now);
    const associationsInMonth = (holding.associations ?? []).filter((a) => a.from >= start && a.from < end);
    const addressRemaps = holding.allocationId ? associationsInMonth.length : 0;
    if (!held && addressRemaps === 0) continue;
    const heldMs = held ? held[1] - held[0] : 0;
    let usedMs = heldMs;
    if (holding.allocationId && held) {
      const used = (holding.associations ?? [])
        .map((a) => clip(a, held[0], held[1], input.now))
        .filter((a): a is [number, number] => a !== undefined);
      usedMs = unionLength(used);
    }
    inUseMs += usedMs;
    idleMs += heldMs - usedMs;
    remaps += addressRemaps;
    addresses.push({
      publicIp: holding.publicIp,
      allocationId: holding.allocationId ?? '',
      inUseHours: round6(usedMs / hourMs),
      idleHours: round6((heldMs - usedMs) / hourMs),
      remaps: addressRemaps,
    });
  }

  const billableRemaps = Math.max(0, remaps - prices.freeRemapsPerMonth);
  const addressHoursCostUsd = round6(((inUseMs + idleMs) / hourMs) * prices.addressHourUsd);
  const remapCostUsd = round6(billableRemaps * prices.remapUsd);
  return {
    accountId: input.accountId,
    month: input.month,
    inUseHours: round6(inUseMs / hourMs),
    idleHours: round6(idleMs / hourMs),
    remaps,
    billableRemaps,
    addressHoursCostUsd,
    remapCostUsd,
    totalCostUsd: round6(addressHoursCostUsd + remapCostUsd),
    addresses,
  };
}

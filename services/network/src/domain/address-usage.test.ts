import { describe, expect, it } from 'vitest';
import { type AddressHolding, addressUsageReport, monthOf, monthWindow } from './address-usage.js';
import { isNetworkError } from './network-errors.js';

const hour = 3_600_000;
const march = Date.UTC(2024, 2, 1);
const april = Date.UTC(2024, 3, 1);
const marchHours = (april - march) / hour; // 744

describe('address usage report', () => {
  it('knows month bounds in UTC and refuses malformed months', () => {
    expect(monthWindow('2024-03')).toEqual({ start: march, end: april });
    expect(monthWindow('2024-12').end).toBe(Date.UTC(2025, 0, 1));
    expect(monthOf(april - 1)).toBe('2024-03');
    for (const bad of ['2024-13', '2024-3', 'March', '']) {
      let code: string | undefined;
      try {
        monthWindow(bad);
      } catch (error) {
        code = isNetworkError(error) ? error.code : undefined;
      }
      expect(code, bad).toBe('InvalidParameterValue');
    }
  });

  it('splits an Elastic IP held all month into in-use and idle hours, and prices both', () => {
    const eip: AddressHolding = {
      publicIp: '127.64.0.10',
      allocationId: 'eipalloc-0123456789abcdef0',
      held: { from: march - 10 * hour },
      associations: [
        { from: march - 5 * hour, until: march + 10 * hour },
        { from: march + 20 * hour, until: march + 30 * hour },
      ],
    };
    const report = addressUsageReport({
      accountId: '123456789012',
      month: '2024-03',
      holdings: [eip],
      now: april + hour,
    });
    expect(report.inUseHours).toBe(20);
    expect(report.idleHours).toBe(marchHours - 20);
    // The association that began in February is not a March remap.
    expect(report.remaps).toBe(1);
    expect(report.billableRemaps).toBe(0);
    expect(report.addressHoursCostUsd).toBeCloseTo(marchHours * 0.005, 6);
    expect(report.totalCostUsd).toBe(3.72);
    expect(report.addresses).toEqual([
      {
        publicIp: '127.64.0.10',
        allocationId: 'eipalloc-0123456789abcdef0',
        inUseHours: 20,
        idleHours: 724,
        remaps: 1,
      },
    ]);
  });

  it('counts an auto-assigned address as in use while held, and stops at now in the current month', () => {
    const auto: AddressHolding = {
      publicIp: '127.64.0.11',
      held: { from: march + 2 * hour, until: march + 5.5 * hour },
    };
    const running: AddressHolding = { publicIp: '127.64.0.12', held: { from: march + 100 * hour } };
    const report = addressUsageReport({
      accountId: '123456789012',
      month: '2024-03',
      holdings: [auto, running],
      now: march + 110 * hour,
    });
    expect(report.inUseHours).toBe(13.5);
    expect(report.idleHours).toBe(0);
    expect(report.remaps).toBe(0);
    expect(report.totalCostUsd).toBe(0.0675);
  });

  it('gives 100 remaps a month free and charges 0.10 USD for each further one', () => {
    const associations = Array.from({ length: 130 }, (_, i) => ({
      from: march + i * hour,
      until: march + i * hour + hour / 2,
    }));
    const report = addressUsageReport({
      accountId: '123456789012',
      month: '2024-03',
      holdings: [
        {
          publicIp: '127.64.0.13',
          allocationId: 'eipalloc-0aaaaaaaaaaaaaaaa',
          held: { from: march, until: march + 130 * hour },
          associations,
        },
      ],
      now: april,
    });
    expect(report.remaps).toBe(130);
    expect(report.billableRemaps).toBe(30);
    expect(report.remapCostUsd).toBe(3);
    expect(report.inUseHours).toBe(65);
    expect(report.idleHours).toBe(65);
    expect(report.totalCostUsd).toBe(3.65);
  });

  it('uses the configured price list', () => {
    const report = addressUsageReport({
      accountId: '123456789012',
      month: '2024-03',
      holdings: [
        {
          publicIp: '127.64.0.14',
          allocationId: 'eipalloc-0bbbbbbbbbbbbbbbb',
          held: { from: march, until: march + 10 * hour },
          associations: [{ from: march }, { from: march + hour }, { from: march + 2 * hour }],
        },
      ],
      now: april,
      prices: { addressHourUsd: 0.01, remapUsd: 1, freeRemapsPerMonth: 1 },
    });
    expect(report.inUseHours).toBe(10);
    expect(report.billableRemaps).toBe(2);
    expect(report.totalCostUsd).toBe(2.1);
  });

  it('leaves out addresses of other months', () => {
    const report = addressUsageReport({
      accountId: '123456789012',
      month: '2024-03',
      holdings: [
        { publicIp: '127.64.0.15', held: { from: april + hour } },
        { publicIp: '127.64.0.16', held: { from: march - 2 * hour, until: march } },
      ],
      now: april + 2 * hour,
    });
    expect(report.addresses).toEqual([]);
    expect(report.totalCostUsd).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { parseAddressPriceList } from './address-prices.js';
import { defaultAddressPriceList } from './address-usage.js';

describe('parseAddressPriceList', () => {
  it('is the default list for an empty text', () => {
    expect(parseAddressPriceList('')).toEqual(defaultAddressPriceList);
  });

  it('replaces the items given and keeps the others', () => {
    expect(parseAddressPriceList('hour=0.0036, free-remaps=0')).toEqual({
      addressHourUsd: 0.0036,
      remapUsd: 0.1,
      freeRemapsPerMonth: 0,
    });
  });

  it.each(['hour', 'hour=-1', 'remap=ten', 'free-remaps=1.5', 'tax=0.2'])('refuses %s', (text) => {
    expect(() => parseAddressPriceList(text)).toThrow(/price list item/);
  });
});

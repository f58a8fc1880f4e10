import { type AddressPriceList, defaultAddressPriceList } from './address-usage.js';

/**
 * The address price list from its one-line configuration form,
 * `hour=0.005,remap=0.10,free-remaps=100`: any item left out keeps its
 * default, so an empty text is the default list.
 */
const items: Record<string, keyof AddressPriceList> = {
  hour: 'addressHourUsd',
  remap: 'remapUsd',
  'free-remaps': 'freeRemapsPerMonth',
};

export function parseAddressPriceList(text: string): AddressPriceList {
  const prices: AddressPriceList = { ...defaultAddressPriceList };
  for (const item of text.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const [name = '', value = ''] = item.split('=').map((s) => s.trim());
    const field = Object.hasOwn(items, name) ? items[name] : undefined;
    const amount = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
    if (!field || Number.isNaN(amount) || (field === 'freeRemapsPerMonth' && !Number.isInteger(amount))) {
      throw new Error(
        `address price list item '${item}' is invalid: expected hour=<USD>, remap=<USD> or free-remaps=<count>`,
      );
    }
    prices[field] = amount;
  }
  return prices;
}

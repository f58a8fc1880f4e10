import { describe, expect, it } from 'vitest';
import { type Json, render } from './output.js';

describe('render', () => {
  const response: Json = {
    widgets: [
      { widgetId: 'w-1', size: 'big', tags: [{ key: 'env', value: 'prod' }] },
      { widgetId: 'w-2', size: 'small' },
    ],
  };

  it('prints JSON by default', () => {
    expect(JSON.parse(render(response, 'json'))).toEqual(response);
  });

  it('prints the response list as table rows with dotted columns', () => {
    const lines = render(response, 'table').split('\n');
    expect(lines[0]?.split(/\s+/)).toEqual(['widgetId', 'size', 'tags[0].key', 'tags[0].value']);
    expect(lines[2]?.split(/\s+/)).toEqual(['w-1', 'big', 'env', 'prod']);
    expect(lines[3]?.split(/\s+/)).toEqual(['w-2', 'small']);
  });

  it('prints a single object as one row', () => {
    expect(render({ return: true }, 'table').split('\n')[2]).toBe('true');
  });
});

/** Every mapped ELBv2 action is held to the AWS SDK's ELBv2 model (see testing/sdk-model.ts). */
import * as sdk from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { wireNameMismatches } from '../testing/sdk-model.js';
import { elbv2Actions } from './elbv2-actions.js';

describe('ELBv2 wire names', () => {
  it.each(elbv2Actions.map((entry) => [entry.action, entry] as const))(
    '%s matches the SDK model',
    (_name, entry) => {
      expect(wireNameMismatches('query', entry, sdk as unknown as Record<string, unknown>)).toEqual([]);
    },
  );
});

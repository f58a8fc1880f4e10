/** Every mapped EC2 action is held to the AWS SDK's EC2 model (see testing/sdk-model.ts). */
import * as sdk from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { wireNameMismatches } from '../testing/sdk-model.js';
import { ec2Actions } from './ec2-actions.js';

describe('EC2 wire names', () => {
  it.each(ec2Actions.map((entry) => [entry.action, entry] as const))(
    '%s matches the SDK model',
    (_name, entry) => {
      expect(wireNameMismatches('ec2', entry, sdk as unknown as Record<string, unknown>)).toEqual([]);
    },
  );
});

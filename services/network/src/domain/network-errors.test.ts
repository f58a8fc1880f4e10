import { describe, expect, it } from 'vitest';
import { invalidParameterValue, isNetworkError, NetworkError, NetworkErrorCode } from './network-errors.js';

describe('NetworkError', () => {
  it('carries the EC2 code and message, and is told apart by code', () => {
    const error = new NetworkError(NetworkErrorCode.InvalidPermissionDuplicate, 'already exists');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('NetworkError');
    expect(error.code).toBe('InvalidPermission.Duplicate');
    expect(error.message).toBe('already exists');
    expect(isNetworkError(error)).toBe(true);
    expect(isNetworkError(error, 'InvalidPermission.Duplicate')).toBe(true);
    expect(isNetworkError(error, 'InvalidPermission.NotFound')).toBe(false);
    expect(isNetworkError(new Error('x'))).toBe(false);
    expect(invalidParameterValue('bad').code).toBe('InvalidParameterValue');
  });

  it('uses the EC2 spelling of every code', () => {
    expect(NetworkErrorCode.InvalidKeyPairFormat).toBe('InvalidKeyPair.Format');
    expect(NetworkErrorCode.InvalidKeyFormat).toBe('InvalidKey.Format');
    expect(NetworkErrorCode.ResourceAlreadyAssociated).toBe('Resource.AlreadyAssociated');
    expect(NetworkErrorCode.InvalidIPAddressInUse).toBe('InvalidIPAddress.InUse');
    for (const code of Object.values(NetworkErrorCode))
      expect(code).toMatch(/^[A-Z][A-Za-z0-9]*(\.[A-Z][A-Za-z0-9]*)?$/);
  });
});

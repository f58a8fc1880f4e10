/** EC2's rules for user data: base64 in the request, at most 16384 bytes once decoded. */
import { ApiError, invalidParameterValue } from '@nimbus/service-kit';

export const maxUserDataBytes = 16384;

/** The decoded bytes; `InvalidUserData.Malformed` for text that is not base64, InvalidParameterValue when too long. */
export function decodeUserData(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    throw new ApiError('InvalidUserData.Malformed', 'Invalid BASE64 encoding of user data.');
  }
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length > maxUserDataBytes) {
    throw invalidParameterValue(`User data is limited to ${maxUserDataBytes} bytes`);
  }
  return bytes;
}

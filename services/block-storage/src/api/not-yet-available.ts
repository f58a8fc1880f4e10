import { status } from '@grpc/grpc-js';
import { DomainError } from '@nimbus/runtime';

/**
 * The answer of an action this release of the block-storage service does not
 * serve yet: UNIMPLEMENTED with EC2's `UnsupportedOperation`, naming the
 * action, so that a caller is never told a half-done thing succeeded. (The
 * network service has the same helper; a shared home for both is for when a
 * third service needs it.)
 */
export function notYetAvailable(action: string): () => Promise<never> {
  return async () => {
    throw new DomainError(
      'UnsupportedOperation',
      `The action ${action} is not available in this release of Nimbus yet.`,
      status.UNIMPLEMENTED,
    );
  };
}

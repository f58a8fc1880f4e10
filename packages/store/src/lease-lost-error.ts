/** The reason a lease's `lost` signal aborts with: it expired, was revoked, or could not be kept alive. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
  constructor(
    readonly leaseId: string,
    readonly reason: 'expired' | 'revoked' | 'keep-alive failed' | 'store closed',
  ) {
    super(`lease ${leaseId} lost: ${reason}`);
  }
}

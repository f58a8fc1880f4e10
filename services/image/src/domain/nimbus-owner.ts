/**
 * The owner of the images provided with every region, as Amazon's own images
 * are owned by the alias `amazon` (account 137112412989 for Amazon Linux).
 * The id lies below 100000000000, the range the region draws its default
 * account from, so it never collides with a generated account.
 */
export const nimbusOwnerId = '098765432109';

export const nimbusOwnerAlias = 'nimbus';

/** The alias an image's owner is shown with: "nimbus" for the provided images, empty otherwise. */
export function ownerAliasOf(ownerId: string): string {
  return ownerId === nimbusOwnerId ? nimbusOwnerAlias : '';
}

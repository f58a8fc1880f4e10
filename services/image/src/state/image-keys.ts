/**
 * The image key layout under /nimbus/image/:
 *
 *   images/<ami-id>                        ImageRecord (one prefix for every account:
 *                                          images are shared across accounts)
 *   image-names/<owner>/<name>             ImageNameRecord (a name is unique per owner;
 *                                          written in the same transaction as its image)
 *   copy-client-tokens/<account>/<token>   service-kit client token (CopyImage idempotency)
 *   provided-builds/<image name>           ProvidedBuildRecord (a provided image being made)
 */
const root = '/nimbus/image';

export const imageKeys = {
  images: () => `${root}/images/`,
  image: (imageId: string) => `${root}/images/${imageId}`,
  imageName: (ownerId: string, name: string) => `${root}/image-names/${ownerId}/${encodeURIComponent(name)}`,
  copyClientToken: (accountId: string, token: string) =>
    `${root}/copy-client-tokens/${accountId}/${encodeURIComponent(token)}`,
  providedBuilds: () => `${root}/provided-builds/`,
  providedBuild: (imageName: string) => `${root}/provided-builds/${encodeURIComponent(imageName)}`,
};

/**
 * The images provided with every region, owned by the alias `nimbus`. Each
 * is made from a directory kept in this repository,
 * services/image/provided/<family>/<version>/, which becomes the root of its
 * root volume (an ext4 file system). A new version is a new directory and a
 * new entry here: it becomes a new image (a new name, a new id) beside the
 * older ones, which stay. Changing a directory that already became an image
 * changes nothing in a region that has it; bump the version instead.
 */
import { fileURLToPath } from 'node:url';

export interface ProvidedImage {
  family: string;
  /** Semantic version; part of the image name. */
  version: string;
  description: string;
  /** See Image.boot_command in proto/nimbus/image/v1/image.proto: run with `/bin/sh -c` in the mounted root volume. */
  bootCommand: string;
}

export const providedImageCatalog: readonly ProvidedImage[] = [
  {
    family: 'nimbus-minimal',
    version: '1.0.0',
    description:
      'Nimbus minimal 1.0.0: a shell environment; it prints a banner and stays up while user data runs.',
    bootCommand: 'exec /bin/sh ./boot.sh',
  },
  {
    family: 'nimbus-web',
    version: '1.0.0',
    description:
      'Nimbus web 1.0.0: a Node.js HTTP server on the private IP, port 80, answering with its instance id and zone, with a /health path.',
    bootCommand: 'exec node ./server.mjs',
  },
];

/** The image's name: family and version, e.g. `nimbus-web-1.0.0`. */
export function providedImageName(image: Pick<ProvidedImage, 'family' | 'version'>): string {
  return `${image.family}-${image.version}`;
}

/** The repository directory holding the image's root volume content. */
export function providedContentDir(image: Pick<ProvidedImage, 'family' | 'version'>): string {
  // Two levels above this file (src/provided-images/ or dist/provided-images/) is the package.
  return fileURLToPath(new URL(`../../provided/${image.family}/${image.version}/`, import.meta.url));
}

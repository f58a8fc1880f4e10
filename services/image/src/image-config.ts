/**
 * The image service's own settings, each with its environment variable and
 * default; read once at start (`readConfig`), with every problem reported at once.
 */
import { resolve } from 'node:path';
import type { ConfigOf, ConfigSpec } from '@nimbus/runtime';

export const imageConfigSpec = {
  region: { env: 'NIMBUS_REGION', default: 'nimbus-1', description: 'the region name' },
  home: { env: 'NIMBUS_HOME', description: 'the region home, when the region launcher runs the service' },
  workDir: {
    env: 'NIMBUS_IMAGE_WORK_DIR',
    description:
      'directory for the disk images of the provided images while they are imported; default <NIMBUS_HOME>/image-work, or .nimbus/image-work in the working directory without NIMBUS_HOME. It must be on the block-storage host.',
  },
  providedImages: {
    env: 'NIMBUS_PROVIDED_IMAGES',
    parse: 'bool',
    default: true,
    description:
      'make the images provided with the region (nimbus-minimal, nimbus-web) at start when missing',
  },
  deregisteredRetentionMs: {
    env: 'NIMBUS_DEREGISTERED_IMAGE_RETENTION',
    parse: 'duration',
    default: 3_600_000,
    description:
      'how long a deregistered image stays visible to DescribeImages by id (state deregistered) before it vanishes',
  },
} satisfies ConfigSpec;

export type ImageConfig = ConfigOf<typeof imageConfigSpec>;

/** The absolute work directory the settings name. */
export function workDirOf(config: Pick<ImageConfig, 'workDir' | 'home'>): string {
  if (config.workDir) return resolve(config.workDir);
  return config.home ? resolve(config.home, 'image-work') : resolve('.nimbus', 'image-work');
}

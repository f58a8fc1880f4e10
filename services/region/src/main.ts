/**
 * `pnpm start`: brings a region up on this machine, prints where everything
 * listens, and stops it all on Ctrl-C (SIGINT) or SIGTERM.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@nimbus/runtime';
import { formatEndpoints } from './format-endpoints.js';
import { startRegion } from './region.js';
import { regionOptionsFromEnv } from './region-options.js';

const logger = createLogger({ service: 'region' });
const servicesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function main(): Promise<void> {
  const options = regionOptionsFromEnv(process.env, servicesDir);
  const region = await startRegion(options, logger);
  process.stdout.write(`${formatEndpoints(region.file, join(options.home, 'region.json'))}\n`);
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the region');
    region.stop().then(
      () => {
        logger.info('region stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'region did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  logger.error({ err: error }, error instanceof Error ? error.message : String(error));
  process.exit(1);
});

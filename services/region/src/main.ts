/**
 * `pnpm start`: brings a region up on this machine, prints where everything
 * listens, and stops it all on Ctrl-C (SIGINT) or SIGTERM, also while it is
 * still starting.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@nimbus/runtime';
import { formatEndpoints } from './format-endpoints.js';
import { type Region, startRegion } from './region.js';
import { regionOptionsFromEnv } from './region-options.js';

const logger = createLogger({ service: 'region' });
const servicesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function main(): Promise<void> {
  const options = regionOptionsFromEnv(process.env, servicesDir);
  const interrupted = new AbortController();
  let region: Region | undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the region');
    // While starting, the start-up itself stops what it began and main() exits.
    interrupted.abort(new Error(`interrupted by ${signal} while starting`));
    region?.stop().then(
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
  region = await startRegion(options, logger, interrupted.signal);
  process.stdout.write(`${formatEndpoints(region.file, join(options.home, 'region.json'))}\n`);
}

main().catch((error: unknown) => {
  logger.error({ err: error }, error instanceof Error ? error.message : String(error));
  process.exit(1);
});

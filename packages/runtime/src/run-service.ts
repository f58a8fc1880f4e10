import type { Logger } from 'pino';
import { ConfigError } from './config.js';

/** What a started service hands back: how to stop it, and where it listens (for the log). */
export interface StartedService {
  /** e.g. `127.0.0.1:50051`. */
  address?: string;
  /** Stops gracefully: health NOT_SERVING, server drained within its grace period, then the rest. */
  stop(): Promise<void>;
}

export interface RunServiceOptions {
  name: string;
  logger: Logger;
  start(): Promise<StartedService>;
}

/** `starting` → `running` → `stopping` → `stopped`, or `starting` → `failed`. */
export type ServiceState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/**
 * A service's main: starts it, logs where it listens, and on SIGTERM or
 * SIGINT stops it and exits 0 (a second signal exits at once with 1). A start
 * failure is logged and sets exit code 1; a ConfigError's message is also
 * printed plainly on stderr, since it is meant for the person starting the service.
 */
export async function runService(options: RunServiceOptions): Promise<ServiceState> {
  const { name, logger } = options;
  let started: StartedService;
  try {
    started = await options.start();
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error(
        { service: name, problems: error.problems },
        `${name} refused to start: invalid configuration`,
      );
      process.stderr.write(`${name}: ${error.message}\n`);
    } else {
      logger.error({ err: error }, `${name} failed to start`);
    }
    process.exitCode = 1;
    return 'failed';
  }
  logger.info(
    { address: started.address },
    `${name} listening${started.address ? ` on ${started.address}` : ''}`,
  );

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, `${name}: second signal, exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, `${name} stopping`);
    started.stop().then(
      () => {
        logger.info(`${name} stopped`);
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, `${name} did not stop cleanly`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return 'running';
}

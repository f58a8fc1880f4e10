import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import { abortableDelay } from './abortable-delay.js';
import { ExponentialBackoff } from './backoff.js';

export interface LeaderElectionOptions {
  store: Store;
  /** One election per controller set, such as `compute-controllers`. */
  election: string;
  /** This replica's name, unique among candidates (host and pid are a good choice). */
  candidate: string;
  /** How fast a crashed leader is replaced. Default 10 s. */
  ttlSeconds?: number;
  logger: Logger;
  /** Runs while this replica leads; its signal aborts when leadership is lost. */
  run: (signal: AbortSignal) => Promise<void>;
  /** Leadership states, for logs and tests. */
  onStateChange?: (state: LeaderState) => void;
}

/** `candidate`: waiting in line; `leading`: running; `stopped`: the outer signal aborted. */
export type LeaderState = 'candidate' | 'leading' | 'stopped';

/**
 * Runs `run` in exactly one replica at a time. When the leader loses its lease
 * (a partition, a stalled process, a store restart) its `run` is told to stop
 * and it stands as a candidate again, while another replica takes over.
 */
export async function runAsLeader(options: LeaderElectionOptions, signal: AbortSignal): Promise<void> {
  const logger = options.logger.child({ election: options.election, candidate: options.candidate });
  const backoff = new ExponentialBackoff({ baseMs: 200, maxMs: 5_000 });
  while (!signal.aborted) {
    options.onStateChange?.('candidate');
    let leadership: Awaited<ReturnType<Store['campaign']>>;
    try {
      leadership = await options.store.campaign(options.election, options.candidate, {
        ttlSeconds: options.ttlSeconds ?? 10,
        signal,
      });
    } catch (error) {
      if (signal.aborted) break;
      const delay = backoff.next('campaign');
      logger.warn({ err: error, retryInMs: delay }, 'campaign failed; retrying');
      await abortableDelay(delay, signal);
      continue;
    }
    backoff.forget('campaign');
    logger.info('leading');
    options.onStateChange?.('leading');
    const leading = AbortSignal.any([signal, leadership.lost]);
    try {
      await options.run(leading);
    } catch (error) {
      logger.error({ err: error }, 'leader run failed');
    }
    if (signal.aborted) {
      await leadership.resign().catch((error: unknown) => logger.warn({ err: error }, 'resign failed'));
      break;
    }
    if (!leadership.lost.aborted) {
      await leadership.resign().catch((error: unknown) => logger.warn({ err: error }, 'resign failed'));
    }
    logger.warn('leadership lost; standing again');
  }
  options.onStateChange?.('stopped');
}

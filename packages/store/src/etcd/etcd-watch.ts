import type { Etcd3, IEvent, IWatchResponse } from 'etcd3';
import { CompactedError, type WatchEvent } from '../store.js';
import type { KeyCodec } from './key-codec.js';

export interface EtcdWatchContext {
  client: Etcd3;
  codec: KeyCodec;
  /** Aborted when the store closes: every watch ends. */
  closed: AbortSignal;
  /** Told of every compact revision a watch learns, so later errors can name it. */
  onCompacted(revision: number): void;
}

type Signal = { kind: 'response'; response: IWatchResponse } | { kind: 'broken'; error: unknown };

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 1_000;

/**
 * One etcd watch stream per store watch, reopened after a lost connection from
 * the revision after the last one delivered, so no change is skipped or
 * repeated while etcd is away. etcd3's own watch manager is not used: it
 * moves its resume revision past history it has not yet replayed.
 */
export async function* watchEtcd(
  context: EtcdWatchContext,
  prefix: string,
  fromRevision: number | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<WatchEvent[]> {
  const stop = signal ? AbortSignal.any([signal, context.closed]) : context.closed;
  let next = fromRevision;
  let retryMs = RETRY_MIN_MS;
  while (!stop.aborted) {
    const queue: Signal[] = [];
    let wake: (() => void) | undefined;
    const push = (item: Signal) => {
      queue.push(item);
      wake?.();
    };
    const onStop = () => push({ kind: 'broken', error: undefined });
    stop.addEventListener('abort', onStop, { once: true });
    const stream = await context.client.watchClient.watch().catch((error: unknown) => {
      push({ kind: 'broken', error });
      return undefined;
    });
    try {
      if (stream) {
        stream.on('data', (response) => push({ kind: 'response', response }));
        stream.on('error', (error) => push({ kind: 'broken', error }));
        stream.on('end', () => push({ kind: 'broken', error: undefined }));
        stream.write({
          create_request: {
            key: context.codec.encode(prefix),
            range_end: context.codec.prefixEnd(prefix),
            prev_kv: true,
            ...(next === undefined ? {} : { start_revision: next }),
          },
        });
      }
      for (;;) {
        const item = queue.shift();
        if (!item) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        if (item.kind === 'broken') break;
        const { response } = item;
        if (Number(response.compact_revision) > 0) {
          const compactRevision = Number(response.compact_revision);
          context.onCompacted(compactRevision);
          throw new CompactedError(next ?? compactRevision, compactRevision);
        }
        if (response.canceled)
          throw new Error(`etcd canceled the watch of ${prefix}: ${response.cancel_reason}`);
        if (response.created && next === undefined) next = Number(response.header.revision) + 1;
        retryMs = RETRY_MIN_MS;
        for (const batch of batchByRevision(response.events, context.codec)) {
          next = batch.revision + 1;
          yield batch.events;
        }
      }
    } finally {
      stop.removeEventListener('abort', onStop);
      stream?.cancel();
    }
    if (stop.aborted) return;
    await delay(retryMs, stop);
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  }
}

function batchByRevision(events: IEvent[], codec: KeyCodec): { revision: number; events: WatchEvent[] }[] {
  const batches: { revision: number; events: WatchEvent[] }[] = [];
  for (const event of events) {
    const revision = Number(event.kv.mod_revision);
    const prev = event.prev_kv ? { prev: codec.keyValue(event.prev_kv) } : {};
    const mapped: WatchEvent =
      event.type === 'Delete'
        ? { type: 'delete', key: codec.decode(event.kv.key), revision, ...prev }
        : { type: 'put', kv: codec.keyValue(event.kv), ...prev };
    const last = batches.at(-1);
    if (last?.revision === revision) last.events.push(mapped);
    else batches.push({ revision, events: [mapped] });
  }
  return batches;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

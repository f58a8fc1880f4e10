/**
 * `nimbus events [--subject <filter>]... [--from-start] [--output json|table]`:
 * follows the region's events as they happen (Ctrl-C stops), one line each,
 * through a consumer of its own that NATS forgets a minute after it stops.
 * Filters are event subjects with `*` and `>`, e.g. `nimbus.compute.>`.
 */
import { randomBytes } from 'node:crypto';
import { openNatsEventBus } from '@nimbus/events';
import { loadRegion } from './connection.js';
import type { OutputFormat } from './output.js';
import { type ParsedArgs, UsageError } from './parse-args.js';

export interface EventsIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Stops following (Ctrl-C in main.ts). */
  signal?: AbortSignal;
}

/** The flags' subject filters; every event of the region when none is given. */
function subjectsOf(args: ParsedArgs): string[] {
  const subjects = args.flags.get('subject') ?? [];
  args.flags.delete('subject');
  return subjects.length > 0 ? subjects : ['nimbus.>'];
}

export async function followEvents(args: ParsedArgs, format: OutputFormat, io: EventsIo): Promise<number> {
  const subjects = subjectsOf(args);
  const fromStart = args.flags.has('from-start');
  args.flags.delete('from-start');
  args.flags.delete('follow');
  const unknown = [...args.flags.keys()];
  if (unknown.length > 0)
    throw new UsageError(`events takes --subject, --from-start and --output, not --${unknown[0]}`);
  const region = loadRegion(io.env);
  if (!region) throw new UsageError('no region found: start one with `pnpm start`');
  if (region.bus.kind !== 'nats') {
    io.stderr(
      'nimbus: this region runs the embedded event bus inside its own process, where nothing else can follow it; start the region with NATS (NIMBUS_BACKING=real, nats-server on PATH) to follow its events',
    );
    return 1;
  }
  const bus = await openNatsEventBus({ servers: region.bus.servers, name: 'nimbus-cli-events' });
  try {
    const stopped = new Promise<void>((resolve) => {
      if (io.signal?.aborted) resolve();
      io.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    const subscription = await bus.subscribe({
      durable: `nimbus-cli-${randomBytes(6).toString('hex')}`,
      subjects,
      startAt: fromStart ? 'all' : 'new',
      expireAfterIdleMs: 60_000,
      async handler({ event }) {
        const time = event.time
          ? new Date(Number(event.time.seconds) * 1000 + event.time.nanos / 1e6)
          : undefined;
        const line = {
          time: time?.toISOString() ?? '',
          subject: event.subject,
          resource: event.resourceId,
          account: event.accountId,
          ...(event.detailJson ? { detail: JSON.parse(event.detailJson) as unknown } : {}),
        };
        io.stdout(
          format === 'table'
            ? [line.time, line.subject, line.resource, line.account, event.detailJson].join('  ')
            : JSON.stringify(line),
        );
      },
    });
    await stopped;
    await subscription.close();
    return 0;
  } finally {
    await bus.close();
  }
}

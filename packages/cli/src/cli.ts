/**
 * The `nimbus` command: `nimbus <verb> [--flags]`, where verbs are the API's
 * actions in kebab-case and flags its request fields (see request-from-flags.ts).
 */
import { type DescService, toJson } from '@bufbuild/protobuf';
import { checkHealth, createClient, isRemoteError } from '@nimbus/runtime';
import { loadRegion, resolveConnection } from './connection.js';
import { followEvents } from './events.js';
import { overviewHelp, verbHelp } from './help.js';
import { adminServices, knownServices } from './known-services.js';
import { type OutputFormat, render } from './output.js';
import { type ParsedArgs, parseArgs, takeFlag, UsageError } from './parse-args.js';
import { flagName, requestFromFlags } from './request-from-flags.js';
import { collectVerbs, similarVerbs, type Verb } from './verbs.js';
import { waiters } from './waiters.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C: ends what runs until stopped (`nimbus events`). */
  signal?: AbortSignal;
}

/** Exit codes as the AWS CLI uses them: 252 bad usage, 254 the service answered with an error. */
export const EXIT_USAGE = 252;
export const EXIT_SERVICE_ERROR = 254;

export async function runCli(
  argv: readonly string[],
  io: CliIo,
  services: readonly DescService[] = knownServices,
): Promise<number> {
  // `nimbus admin <verb>`: the operators' commands (accounts and access keys of the gateway).
  if (argv[0] === 'admin') return runCli(argv.slice(1), io, adminServices);
  const verbs = collectVerbs(services);
  try {
    if (argv[0] === 'wait') return await wait(verbs, argv[1], parseArgs(['wait', ...argv.slice(2)]), io);
    const args = parseArgs(argv);
    const format = outputFormat(takeFlag(args, 'output') ?? io.env.NIMBUS_OUTPUT);
    if (args.verb === undefined || args.verb === 'help' || args.flags.has('help')) {
      const verb = args.verb && args.verb !== 'help' ? verbs.get(args.verb) : undefined;
      io.stdout(verb ? verbHelp(verb) : overviewHelp(verbs.keys()));
      return 0;
    }
    if (args.verb === 'status') return await status(io, format);
    if (args.verb === 'events') return await followEvents(args, format, io);
    const verb = verbs.get(args.verb);
    if (!verb) {
      const near = similarVerbs(verbs.keys(), args.verb);
      throw new UsageError(
        `unknown command '${args.verb}'${near.length ? `; did you mean ${near.join(', ')}?` : ''} (see nimbus help)`,
      );
    }
    return await call(verb, args, format, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`nimbus: ${error.message}`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'json' || value === 'table') return value ?? 'json';
  throw new UsageError(`--output must be json or table, not '${value}'`);
}

/** A verb's client and request from the flags; `invoke` calls it (again and again for a waiter). */
function prepare(verb: Verb, args: ParsedArgs, io: CliIo) {
  // A request field of the same name wins over the global flag (`nimbus admin create-access-key --account-id`).
  const ownFlag = (name: string) => verb.method.input.fields.some((field) => flagName(field) === name);
  const connection = resolveConnection(
    verb.service.typeName,
    {
      endpointUrl: takeFlag(args, 'endpoint-url'),
      accountId: ownFlag('account-id') ? undefined : takeFlag(args, 'account-id'),
      token: takeFlag(args, 'token'),
    },
    io.env,
  );
  const request = requestFromFlags(verb.method.input, args);
  const client = createClient(verb.service, connection.address, {
    // A wedged service must not hang the terminal; the AWS CLI's read timeout is 60 s too.
    deadlineMs: 60_000,
    ...(connection.accountId ? { accountId: connection.accountId } : {}),
    ...(connection.token ? { token: connection.token } : {}),
  });
  const method = (client as unknown as Record<string, (input: unknown) => Promise<unknown>>)[
    verb.method.localName
  ];
  if (!method) throw new Error(`client has no method ${verb.method.localName}`);
  return {
    invoke: async () => toJson(verb.method.output, (await method.call(client, request)) as never) as never,
    close: () => client.close(),
  };
}

function reportRemoteError(verb: Verb, error: unknown, io: CliIo): number {
  if (!isRemoteError(error)) throw error;
  io.stderr(
    `An error occurred (${error.code}) when calling the ${verb.method.name} operation: ${error.message}`,
  );
  return EXIT_SERVICE_ERROR;
}

async function call(verb: Verb, args: ParsedArgs, format: OutputFormat, io: CliIo): Promise<number> {
  const prepared = prepare(verb, args, io);
  try {
    io.stdout(render(await prepared.invoke(), format));
    return 0;
  } catch (error) {
    return reportRemoteError(verb, error, io);
  } finally {
    prepared.close();
  }
}

/** Exit code of a waiter that gave up, as the AWS CLI's. */
export const EXIT_WAITER_FAILED = 255;

async function wait(
  verbs: Map<string, Verb>,
  waiterName: string | undefined,
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  const waiter = waiterName ? waiters[waiterName] : undefined;
  if (!waiterName || !waiter) {
    throw new UsageError(`nimbus wait <waiter>: one of ${Object.keys(waiters).join(', ')}`);
  }
  const delayMs = Number(takeFlag(args, 'delay') ?? 1) * 1000;
  const maxAttempts = Number(takeFlag(args, 'max-attempts') ?? 300);
  const verb = verbs.get(waiter.verb);
  if (!verb)
    throw new UsageError(`the waiter ${waiterName} needs ${waiter.verb}, which no known service offers`);
  const prepared = prepare(verb, args, io);
  try {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const verdict = waiter.judge(await prepared.invoke());
      if (verdict.kind === 'done') return 0;
      if (verdict.kind === 'failure') {
        io.stderr(`Waiter ${waiterName} failed: ${verdict.reason}`);
        return EXIT_WAITER_FAILED;
      }
      if (attempt < maxAttempts) await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    io.stderr(`Waiter ${waiterName} failed: Max attempts exceeded`);
    return EXIT_WAITER_FAILED;
  } catch (error) {
    return reportRemoteError(verb, error, io);
  } finally {
    prepared.close();
  }
}

async function status(io: CliIo, format: OutputFormat): Promise<number> {
  const region = loadRegion(io.env);
  if (!region) throw new UsageError('no region found: start one with `pnpm start`');
  const rows = await Promise.all(
    Object.entries(region.services).map(async ([name, service]) => ({
      service: name,
      address: service.address,
      health: await checkHealth(service.address, '', { timeoutMs: 2_000 }),
    })),
  );
  io.stdout(render({ region: region.region, services: rows }, format));
  return rows.every((row) => row.health === 'SERVING') ? 0 : EXIT_SERVICE_ERROR;
}

import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino';

export interface LoggerOptions {
  /** The service name, on every line as `service`. */
  service: string;
  /** Default: `NIMBUS_LOG_LEVEL`, else `info`. */
  level?: LevelWithSilent;
  /** Default: stdout. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

/** The service logger: one JSON object per line, ISO timestamps, errors with their stacks under `err`. */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? process.env.NIMBUS_LOG_LEVEL ?? 'info';
  return pino(
    {
      level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

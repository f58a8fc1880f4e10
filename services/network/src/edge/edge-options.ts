/** The part of a pino logger the edge uses. */
export interface EdgeLogger {
  warn(details: object, message: string): void;
}

export interface EdgeOptions {
  /**
   * A merged range of allowed TCP ports longer than this is listened on only
   * at the instance's listening ports (see `EdgeMapping.listeningPorts`).
   * Default 64.
   */
  wideRangeThreshold?: number;
  /**
   * How often listeners that failed to bind (the port taken by another
   * process, say) are tried again, in milliseconds. Default 500, so that a
   * freed port is served within a second.
   */
  retryIntervalMs?: number;
  /**
   * The security groups of the interface that owns a client address, for
   * rules whose source is a group. Default: none, so group rules match no
   * connection at the edge, as in EC2, where traffic to a public address
   * arrives from a public address and group rules match private ones.
   */
  sourceGroups?: (address: string) => Iterable<string> | undefined;
  /** Where bind failures are told. Default: nowhere (they show in `listeners()`). */
  logger?: EdgeLogger;
}

export interface ResolvedEdgeOptions {
  wideRangeThreshold: number;
  retryIntervalMs: number;
  sourceGroups?: (address: string) => Iterable<string> | undefined;
  logger?: EdgeLogger;
}

export function resolveEdgeOptions(options: EdgeOptions = {}): ResolvedEdgeOptions {
  return {
    wideRangeThreshold: options.wideRangeThreshold ?? 64,
    retryIntervalMs: options.retryIntervalMs ?? 500,
    ...(options.sourceGroups ? { sourceGroups: options.sourceGroups } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  };
}

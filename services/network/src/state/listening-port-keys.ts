/**
 * The ports each instance really listens on, as its worker last reported them
 * (ReportListeningPorts, relayed by compute): one record per instance for the
 * whole region, replaced whole by each report. The edge reads them to open
 * rules with wide port ranges (an all-traffic rule) only where something listens.
 */
const root = '/nimbus/network';

/** A port an instance listens on. */
export interface ReportedPort {
  /** `tcp` or `udp`. */
  protocol: string;
  /** A private address of the instance, or `0.0.0.0` for all of them. */
  privateIpAddress: string;
  port: number;
}

export interface ListeningPortsRecord {
  instanceId: string;
  ports: ReportedPort[];
  reportTime: string;
}

export const listeningPortKeys = {
  all: () => `${root}/listening-ports/`,
  instance: (instanceId: string) => `${root}/listening-ports/${instanceId}`,
} as const;

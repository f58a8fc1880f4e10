/**
 * The seam between a runtime and the instance metadata service: a runtime
 * opens an endpoint for each instance it boots and names it in the
 * instance's environment (AWS_EC2_METADATA_SERVICE_ENDPOINT).
 */
import type { InstanceSpec } from './instance-spec.js';

export interface MetadataEndpoint {
  /** The URL the instance uses, e.g. `http://127.16.0.4:40123/`. */
  url: string;
  /** The port, kept across reboots and worker restarts so a running instance's environment stays right. */
  port: number;
  /** Serves the instance's changed data (a new public IP, other groups) from now on. */
  update(spec: InstanceSpec): void;
  close(): Promise<void>;
}

export interface MetadataEndpoints {
  /** Opens the instance's endpoint; on `port` when given (a re-adopted instance's known port), else on a free one. */
  open(spec: InstanceSpec, port?: number): Promise<MetadataEndpoint>;
}

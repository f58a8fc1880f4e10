/** A service the region started, however it runs. */
export interface LaunchedService {
  /** Service name, with the zone for per-zone services (`worker-nimbus-1a`). */
  name: string;
  /** host:port of its gRPC server. */
  address: string;
  /** Fully qualified gRPC services it serves. */
  grpcServices: string[];
  /** Its process id when it runs as its own process. */
  pid?: number;
  stop(): Promise<void>;
}

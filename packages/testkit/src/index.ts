export {
  BENCH_RESULT_MARKER,
  type BenchFigure,
  type BenchResult,
  goalText,
  median,
  percentile,
  reportBench,
  type ScoredFigure,
  score,
} from './bench.js';
export {
  ChildServer,
  type ChildServerOptions,
  ExitedDuringStartError,
  findOnPath,
  httpOk,
  MissingBinaryError,
} from './child-server.js';
export { EtcdServer, startEtcd } from './etcd-server.js';
export { freePort } from './free-port.js';
export { NatsServer, startNats } from './nats-server.js';
export { type OtlpCollector, type ReceivedSpan, startOtlpCollector } from './otlp-collector.js';
export { S3Server, startS3 } from './s3-server.js';
export { type WaitOptions, WaitTimeoutError, waitUntil } from './wait-until.js';

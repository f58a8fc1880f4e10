export {
  type Authenticator,
  devAccount,
  type Identity,
  staticTokens,
  withServiceToken,
} from './authenticator.js';
export type { CallContext } from './call-context.js';
export { type ClientOptions, createClient } from './client.js';
export type {
  BidiStreamingCall,
  CallOptions,
  Client,
  ClientMethod,
  ClientStreamingCall,
  ServerStreamingCall,
  UnaryCall,
} from './client-types.js';
export {
  ConfigError,
  type ConfigOf,
  type ConfigProblem,
  type ConfigSpec,
  type ConfigVariable,
  readConfig,
} from './config.js';
export type { ConfigParse, ConfigValueTypes } from './config-parsers.js';
export { codeForStatus, DomainError, isDomainError, statusForCode } from './domain-error.js';
export { checkHealth, type HealthStatus } from './health-check.js';
export {
  type CallHandler,
  composeInterceptors,
  type InboundCall,
  type ServerInterceptor,
} from './inbound-call.js';
export { listGrpcServices } from './list-grpc-services.js';
export { createLogger, type LoggerOptions } from './logger.js';
export {
  ACCOUNT_KEY,
  AUTHORIZATION_KEY,
  ERROR_CODE_TRAILER,
  ERROR_DETAIL_TRAILER,
  REQUEST_ID_KEY,
} from './metadata-keys.js';
export type { GaugeOptions, GaugeSample, ObservableController, ServiceMetrics } from './metrics.js';
export {
  addressOf,
  findRegionFile,
  type RegionFile,
  type RegionServiceEntry,
  readRegionFile,
  regionFilePath,
  removeRegionFile,
  writeRegionFile,
} from './region-file.js';
export { fromServiceError, isRemoteError, RemoteError } from './remote-error.js';
export { type RunServiceOptions, runService, type ServiceState, type StartedService } from './run-service.js';
export {
  createServer,
  type NimbusServer,
  type ServerHealth,
  type ServerOptions,
  type ServerState,
} from './server.js';
export type {
  BidiStreamingImpl,
  ClientStreamingImpl,
  MethodImpl,
  ServerStreamingImpl,
  ServiceImpl,
  ServiceRegistration,
  UnaryImpl,
} from './service-impl.js';
export {
  type HostedService,
  hostServiceModule,
  isServiceModule,
  runServiceModule,
  type ServiceContext,
  type ServiceModule,
  type ServiceParts,
} from './service-module.js';
export { type TraceJoiner, untracedJoiner } from './tracing.js';

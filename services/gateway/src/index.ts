export { type AccountStore, createAccountStore } from './accounts/account-store.js';
export { ec2Actions } from './ec2/ec2-actions.js';
export { type GatewayConfig, gatewayConfigSpec } from './gateway-config.js';
export type { QueryAction } from './query/query-action.js';
export { createGatewayServiceModule, type GatewayModuleOptions, serviceModule } from './service.js';

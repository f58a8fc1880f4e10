export { type AutoscalerSettings, autoscalerConfigSpec } from './autoscaler-config.js';
export { type AutoscalerModuleOptions, createAutoscalerServiceModule, serviceModule } from './service.js';

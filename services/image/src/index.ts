export { nimbusOwnerAlias, nimbusOwnerId } from './domain/nimbus-owner.js';
export { type ImageConfig, imageConfigSpec, workDirOf } from './image-config.js';
export { createImageServiceModule, type ImageModuleOptions, serviceModule } from './service.js';

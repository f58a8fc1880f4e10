export { type BlockStorageModuleOptions, createBlockStorageServiceModule, serviceModule } from './service.js';
export { type StorageConfig, storageConfigSpec, storageRootOf } from './storage-config.js';

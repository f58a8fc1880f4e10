export { methodDefinition, methodPath, serviceDefinition } from './grpc-binding.js';

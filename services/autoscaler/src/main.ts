/** The autoscaler as its own process, configured from the environment (see README). */
import { runServiceModule } from '@nimbus/runtime';
import { serviceModule } from './service.js';

await runServiceModule(serviceModule);

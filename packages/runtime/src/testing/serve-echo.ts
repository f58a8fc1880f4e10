/**
 * A runnable Echo service for the runService test: listens on a free loopback
 * port (or NIMBUS_ECHO_PORT), prints `PORT <n>` on stderr, and stops gracefully on SIGTERM.
 * Run: node --conditions=nimbus-source --import tsx src/testing/serve-echo.ts
 */
import { devAccount } from '../authenticator.js';
import { readConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { runService } from '../run-service.js';
import { createServer } from '../server.js';
import { EchoService, echoService } from './echo-service.js';

const logger = createLogger({ service: 'echo' });

await runService({
  name: 'echo',
  logger,
  async start() {
    const config = readConfig({
      port: {
        env: 'NIMBUS_ECHO_PORT',
        parse: 'port',
        default: 0,
        description: 'gRPC listen port (0: any free one)',
      },
    });
    const server = createServer({
      logger,
      authenticator: devAccount('000000000000'),
      services: [{ service: EchoService, impl: echoService }],
    });
    const port = await server.listen('127.0.0.1', config.port);
    process.stderr.write(`PORT ${port}\n`);
    return { address: `127.0.0.1:${port}`, stop: () => server.shutdown(5_000) };
  },
});

import { join } from 'node:path';
import { ChildServer, type ChildServerOptions, httpOk } from './child-server.js';
import { freePort } from './free-port.js';

/** A nats-server with JetStream on 127.0.0.1, its client and monitoring ports picked free. */
export class NatsServer extends ChildServer {
  protected readonly binary = 'nats-server';
  protected readonly installHint =
    'install it with `apt-get install nats-server` (Debian) or put a nats-server 2.9+ binary there';
  port = 0;
  monitorPort = 0;

  constructor(options: ChildServerOptions = {}) {
    super(options);
  }

  /** The client URL, e.g. `nats://127.0.0.1:41235`. */
  get endpoint(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  protected async allocate(): Promise<void> {
    this.port = await freePort();
    this.monitorPort = await freePort();
  }

  protected args(): string[] {
    return [
      '-a',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-m',
      String(this.monitorPort),
      '--jetstream',
      '--store_dir',
      join(this.dataDir, 'jetstream'),
    ];
  }

  protected isReady(): Promise<boolean> {
    return httpOk(`http://127.0.0.1:${this.monitorPort}/healthz?js-enabled-only=true`);
  }
}

export async function startNats(options?: ChildServerOptions): Promise<NatsServer> {
  return new NatsServer(options).start();
}

import { join } from 'node:path';
import { ChildServer, type ChildServerOptions, httpOk } from './child-server.js';
import { freePort } from './free-port.js';

/** A single-member etcd on 127.0.0.1 with its client and peer ports picked free. */
export class EtcdServer extends ChildServer {
  protected readonly binary = 'etcd';
  protected readonly installHint =
    'install it with `apt-get install etcd-server` (Debian) or put an etcd 3.4+ binary there';
  clientPort = 0;
  peerPort = 0;

  constructor(options: ChildServerOptions = {}) {
    super(options);
  }

  /** The client URL, e.g. `http://127.0.0.1:41234`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  protected async allocate(): Promise<void> {
    this.clientPort = await freePort();
    this.peerPort = await freePort();
  }

  protected args(): string[] {
    const peer = `http://127.0.0.1:${this.peerPort}`;
    return [
      '--name=nimbus',
      `--data-dir=${join(this.dataDir, 'etcd')}`,
      `--listen-client-urls=${this.endpoint}`,
      `--advertise-client-urls=${this.endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=nimbus=${peer}`,
      '--log-level=warn',
      '--logger=zap',
    ];
  }

  protected isReady(): Promise<boolean> {
    return httpOk(`${this.endpoint}/health`);
  }
}

export async function startEtcd(options?: ChildServerOptions): Promise<EtcdServer> {
  return new EtcdServer(options).start();
}

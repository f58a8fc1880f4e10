import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { waitUntil } from './wait-until.js';

/** Finds an executable on PATH, or undefined. */
export function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, binary);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export class MissingBinaryError extends Error {
  override name = 'MissingBinaryError';
}

export interface ChildServerOptions {
  /** Where the server keeps its data. Default: a new temporary directory, removed on `dispose`. */
  dataDir?: string;
  /** Milliseconds to wait for the server to become ready. Default 15 s. */
  startTimeoutMs?: number;
  /**
   * Ends with its owner process even when that is killed outright (setpriv's
   * parent-death signal, where setpriv runs). Default true, as tests want; the
   * region launcher says false, as its next start cleans up what it left.
   */
  dieWithOwner?: boolean;
}

/**
 * A server binary run as a child process on loopback: started, probed until
 * ready, stopped with SIGTERM (SIGKILL after 5 s), and restartable on the same
 * ports and data so tests can take it away and bring it back. Its output goes
 * to `server.log` in the data directory.
 */
/** The server process ended before it was ready. */
export class ExitedDuringStartError extends Error {
  override name = 'ExitedDuringStartError';
}

export abstract class ChildServer {
  protected child: ChildProcess | undefined;
  private ownsDataDir = false;
  dataDir = '';

  protected abstract readonly binary: string;
  protected abstract readonly installHint: string;
  /** Picks ports; called once, before the first start. */
  protected abstract allocate(): Promise<void>;
  protected abstract args(): string[];
  protected abstract isReady(): Promise<boolean>;

  constructor(private readonly options: ChildServerOptions = {}) {}

  /** The server's process id while it runs. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts the server and waits until it is ready. A first start whose server
   * exits at once (most often: another process took a port between `freePort`
   * and the bind) is tried again, up to three times, on fresh ports and a
   * fresh data directory; a restart keeps its ports, as a test of recovery needs.
   */
  async start(): Promise<this> {
    if (this.running) return this;
    const path = findOnPath(this.binary);
    if (!path) {
      throw new MissingBinaryError(`${this.binary} is not on PATH; ${this.installHint}`);
    }
    const firstStart = !this.dataDir;
    for (let attempt = 1; ; attempt++) {
      if (!this.dataDir) await this.prepare();
      try {
        await this.launch(path);
        return this;
      } catch (error) {
        if (!firstStart || attempt >= 3 || !(error instanceof ExitedDuringStartError)) throw error;
        if (this.ownsDataDir && this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
        this.dataDir = '';
      }
    }
  }

  private async prepare(): Promise<void> {
    if (this.options.dataDir) {
      this.dataDir = this.options.dataDir;
      await mkdir(this.dataDir, { recursive: true });
    } else {
      this.dataDir = await mkdtemp(join(tmpdir(), `nimbus-${this.binary}-`));
      this.ownsDataDir = true;
    }
    await this.allocate();
  }

  private async launch(path: string): Promise<void> {
    const log = createWriteStream(join(this.dataDir, 'server.log'), { flags: 'a' });
    // Own process group: a terminal's Ctrl-C goes to the owner, which stops servers in its own order.
    // Under setpriv's parent-death signal: a test process killed outright (a timeout, kill -9)
    // takes its servers with it instead of leaving them running.
    const [command, args] =
      (this.options.dieWithOwner ?? true) && hasSetpriv()
        ? ['setpriv', ['--pdeathsig', 'KILL', '--', path, ...this.args()]]
        : [path, this.args()];
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(
          new ExitedDuringStartError(
            `${this.binary} exited during start (${signal ?? code}); see ${this.dataDir}/server.log`,
          ),
        ),
      ),
    );
    exited.catch(() => {});
    const gone = () => child.exitCode !== null || child.signalCode !== null;
    // Stops polling once the process is gone: `exited` has the answer then.
    const ready = waitUntil(async () => gone() || (await this.isReady()), {
      timeoutMs: this.options.startTimeoutMs ?? 15_000,
      message: `${this.binary} to be ready (log: ${this.dataDir}/server.log)`,
    });
    try {
      await Promise.race([exited, ready]);
      if (gone()) await exited;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Stops the process and waits for it to exit. The data stays for a restart. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** Kills the process at once, as a crash would. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<this> {
    await this.stop();
    return this.start();
  }

  /** Stops the server and removes its data directory if the kit made it. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsDataDir && this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** True when an HTTP GET answers with a 2xx status within a second. */
export async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

let setprivWorks: boolean | undefined;
/** Whether util-linux's setpriv (with --pdeathsig) runs here; asked once. */
function hasSetpriv(): boolean {
  setprivWorks ??=
    spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' }).status === 0;
  return setprivWorks;
}

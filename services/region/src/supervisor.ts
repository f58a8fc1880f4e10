/**
 * Runs a service as a child process and keeps it running: output appended to
 * its log file, restarted with backoff (1 s doubling to 30 s) when it dies
 * unasked, stopped with SIGTERM then SIGKILL after a grace period.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Logger } from 'pino';

export type SupervisedState = 'starting' | 'running' | 'backing-off' | 'stopping' | 'stopped';

export interface SupervisedProcessOptions {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  logger: Logger;
  /** How long SIGTERM has before SIGKILL. Default 10 s. */
  stopGraceMs?: number;
}

export class SupervisedProcess {
  state: SupervisedState = 'stopped';
  restarts = 0;
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private backoffMs = 1_000;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SupervisedProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const { name, command, args, env, logFile, logger } = this.options;
    this.log ??= createWriteStream(logFile, { flags: 'a' });
    this.state = 'starting';
    // Its own process group: a Ctrl-C in the terminal reaches the region only, which stops services in order.
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    child.once('spawn', () => {
      if (this.state === 'starting') this.state = 'running';
    });
    child.once('exit', (code, signal) => {
      this.child = undefined;
      if (this.state === 'stopping' || this.state === 'stopped') {
        this.state = 'stopped';
        return;
      }
      logger.warn(
        { service: name, code, signal, restartInMs: this.backoffMs, log: logFile },
        'service exited unexpectedly; restarting',
      );
      this.state = 'backing-off';
      this.restartTimer = setTimeout(() => {
        this.restarts += 1;
        this.start();
      }, this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
    });
  }

  /** Marks the process healthy: the next crash restarts it after the shortest backoff again. */
  markHealthy(): void {
    this.backoffMs = 1_000;
  }

  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.state = 'stopping';
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), this.options.stopGraceMs ?? 10_000);
      await exited;
      clearTimeout(timer);
    }
    this.state = 'stopped';
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
    this.log = undefined;
  }
}

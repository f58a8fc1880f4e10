import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { DescMethod } from '@bufbuild/protobuf';
import { type Deadline, Metadata } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { InboundCall } from './inbound-call.js';
import { callCanceled, deadlineExceeded } from './interceptors/deadline.js';

/** The parts of a grpc-js server call that every kind of call shares. */
export interface GrpcServerCall {
  readonly metadata: Metadata;
  getDeadline(): Deadline;
  sendMetadata(metadata: Metadata): void;
  on(event: 'cancelled', listener: () => void): unknown;
}

/**
 * An InboundCall backed by a grpc-js server call. Response headers go out
 * once, just before the first message or the status; a cancel from the
 * caller (or grpc-js's own deadline timer) aborts the call's signal until the
 * call has its outcome. grpc-js also reports 'cancelled' after every status it
 * sends; that one is ignored, as building a DomainError per call is costly.
 */
export class GrpcInboundCall implements InboundCall {
  requestId = '';
  accountId = '';
  service = false;
  deadline: Date | undefined = undefined;
  readonly header = new Metadata();
  readonly trailer = new Metadata();
  readonly startedAt = performance.now();
  readonly abort = new AbortController();
  readonly metadata: Metadata;
  readonly deadlineMs: number;
  private headerSent = false;
  private finished = false;

  constructor(
    readonly method: DescMethod,
    readonly path: string,
    readonly logger: Logger,
    private readonly call: GrpcServerCall,
    readonly input: unknown,
    /** Takes the controller, not its signal: Node makes the signal on first use, most calls never do. */
    private readonly write: (message: unknown, abort: AbortController) => Promise<void>,
  ) {
    this.metadata = call.metadata;
    const deadline = call.getDeadline();
    this.deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
    call.on('cancelled', () => {
      if (this.finished || this.abort.signal.aborted) return;
      this.abort.abort(Date.now() >= this.deadlineMs ? deadlineExceeded() : callCanceled());
    });
  }

  send(message: unknown): Promise<void> {
    this.flushHeader();
    return this.write(message, this.abort);
  }

  /** Called once the outcome is known, just before the status goes out: sends the header if still due. */
  finish(): void {
    this.finished = true;
    this.flushHeader();
  }

  flushHeader(): void {
    if (this.headerSent) return;
    this.headerSent = true;
    this.call.sendMetadata(this.header);
  }
}

/** Writes to a grpc-js response stream; when its buffer is full, waits for 'drain' or the call's abort. */
export async function writeWithBackpressure(
  stream: Writable,
  message: unknown,
  abort: AbortController,
): Promise<void> {
  if (stream.write(message)) return;
  await once(stream, 'drain', { signal: abort.signal });
}

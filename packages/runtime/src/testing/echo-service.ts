import { setTimeout as sleep } from 'node:timers/promises';
import { EchoService } from '@nimbus/api/gen/nimbus/testing/v1/echo_pb';
import { DomainError } from '../domain-error.js';
import type { ServiceImpl } from '../service-impl.js';

/**
 * The EchoService used by the runtime's tests, benchmark and fixture: it
 * answers with what the server saw (account, request id), fails on demand
 * (`Fail` throws a DomainError with the asked code; code `Bug` throws a plain
 * Error), and waits `delayMs` honouring the call's signal.
 */
export const echoService: ServiceImpl<typeof EchoService> = {
  async echo(request, context) {
    if (request.delayMs > 0) await sleep(request.delayMs, undefined, { signal: context.signal });
    return { message: request.message, accountId: context.accountId, requestId: context.requestId };
  },
  async fail(request) {
    if (request.code === 'Bug') throw new Error(`a bug: ${request.message}`);
    throw new DomainError(request.code, request.message);
  },
  async *count(request) {
    for (let value = 1; value <= request.upTo; value++) yield { value };
  },
  async *chat(requests) {
    for await (const request of requests) yield { text: `echo: ${request.text}` };
  },
};

export { EchoService };

/**
 * One health check of a target: an HTTP GET of the path (success when the
 * status matches) or a TCP connect, within the timeout. Never throws: the
 * outcome names ELBv2's reason when it fails.
 */
import { request } from 'node:http';
import { connect } from 'node:net';

export type ProbeOutcome =
  | { ok: true }
  | {
      ok: false;
      reason: 'Target.ResponseCodeMismatch' | 'Target.Timeout' | 'Target.FailedHealthChecks';
      description: string;
    };

export interface ProbeSpec {
  protocol: 'HTTP' | 'TCP';
  ip: string;
  port: number;
  path: string;
  timeoutMs: number;
  matches: (status: number) => boolean;
}

export function probe(spec: ProbeSpec): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      done({ ok: false, reason: 'Target.Timeout', description: 'Request timed out' });
      cleanup();
    }, spec.timeoutMs);
    let cleanup = () => {};
    if (spec.protocol === 'TCP') {
      const socket = connect({ host: spec.ip, port: spec.port });
      cleanup = () => socket.destroy();
      socket.once('connect', () => {
        done({ ok: true });
        socket.destroy();
      });
      socket.once('error', (error) =>
        done({
          ok: false,
          reason: 'Target.FailedHealthChecks',
          description: `Health checks failed: ${error.message}`,
        }),
      );
      return;
    }
    const req = request({
      host: spec.ip,
      port: spec.port,
      path: spec.path,
      method: 'GET',
      agent: false,
      headers: { 'user-agent': 'Nimbus-HealthChecker/1.0', connection: 'close' },
    });
    cleanup = () => req.destroy();
    req.once('response', (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (spec.matches(status)) done({ ok: true });
      else {
        done({
          ok: false,
          reason: 'Target.ResponseCodeMismatch',
          description: `Health checks failed with these codes: [${status}]`,
        });
      }
    });
    req.once('error', (error) =>
      done({
        ok: false,
        reason: 'Target.FailedHealthChecks',
        description: `Health checks failed: ${error.message}`,
      }),
    );
    req.end();
  });
}

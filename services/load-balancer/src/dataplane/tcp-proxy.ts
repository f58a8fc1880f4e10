/**
 * The TCP data plane of one listener address (network load balancers): each
 * connection goes to one target, chosen by the group's algorithm, and bytes
 * flow both ways until either side closes. No target: the connection is reset.
 */
import { connect, createServer, type Server } from 'node:net';
import type { CompiledListener } from './compiled-listener.js';
import type { TargetGroupRuntime } from './target-group-runtime.js';

export interface TcpRouting {
  listener(): CompiledListener | undefined;
  targetGroup(arn: string): TargetGroupRuntime | undefined;
}

export function createTcpListenerServer(routing: TcpRouting): Server {
  return createServer({ noDelay: true, pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    const listener = routing.listener();
    const action = listener?.defaultAction;
    const arn = action?.type === 'forward' ? action.targetGroups[0]?.targetGroupArn : undefined;
    const group = arn === undefined ? undefined : routing.targetGroup(arn);
    const target = group?.pick();
    if (!group || !target) {
      client.resetAndDestroy();
      return;
    }
    target.inFlight++;
    target.counters.current().newConnections++;
    group.counters.current().newConnections++;
    const upstream = connect({ host: target.ip, port: target.port, noDelay: true, allowHalfOpen: true });
    const handle = {
      destroy() {
        upstream.destroy();
        client.destroy();
      },
    };
    target.open.add(handle);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      target.inFlight--;
      target.open.delete(handle);
      upstream.destroy();
      client.destroy();
      group.released(target);
    };
    upstream.once('connect', () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      if (client.readyState === 'open') client.resetAndDestroy();
      finish();
    });
    client.on('error', finish);
    upstream.on('close', finish);
    client.on('close', finish);
  });
}

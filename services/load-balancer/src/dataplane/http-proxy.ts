/**
 * The HTTP data plane of one listener address: a node:http server that
 * applies the listener's rules to each request and answers a redirect or a
 * fixed response itself, or forwards over the target's keep-alive pool with
 * X-Forwarded-For/-Proto/-Port. 503 when the target group has no target to
 * send to, 502 when the target fails before its response starts; a failure
 * after that cuts the client connection, as the response cannot be finished.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ActionSpec } from '../domain/actions.js';
import { actionFor, type CompiledListener, chooseTargetGroup } from './compiled-listener.js';
import type { TargetGroupRuntime } from './target-group-runtime.js';
import type { TrafficFigures } from './traffic-view.js';

export interface HttpRouting {
  listener(): CompiledListener | undefined;
  targetGroup(arn: string): TargetGroupRuntime | undefined;
  now(): number;
  /** How long a target may stay silent (no byte either way) before the client gets 504: ELBv2's idle timeout, 60 s (0: none). */
  idleTimeoutMs: number;
}

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);
const forwardedHeaders = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-port']);

/**
 * The headers to pass on, as a flat [name, value, ...] list straight from the
 * raw ones (no object built per request): hop-by-hop headers and those the
 * Connection header names are dropped, and so are `drop`.
 */
function passOn(
  raw: readonly string[],
  connection: string | undefined,
  drop?: ReadonlySet<string>,
): string[] {
  const named = connection
    ? connection
        .toLowerCase()
        .split(',')
        .map((s) => s.trim())
    : undefined;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.length < 20 ? name.toLowerCase() : name;
    if (hopByHop.has(lower) || drop?.has(lower) || named?.includes(lower)) continue;
    out.push(name, raw[i + 1] as string);
  }
  return out;
}

function countAnswer(f: TrafficFigures, status: number, seconds: number): void {
  f.responses++;
  f.targetResponseTimeSum += seconds;
  if (status >= 500) f.target5xx++;
  else if (status >= 400) f.target4xx++;
  else if (status >= 300) f.target3xx++;
  else if (status >= 200) f.target2xx++;
}

function elbAnswer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `<html><head><title>${status} ${text}</title></head><body><center><h1>${status} ${text}</h1></center></body></html>\n`;
  res.writeHead(status, {
    'content-type': 'text/html',
    'content-length': Buffer.byteLength(body),
    server: 'nimbus-elb',
  });
  res.end(body);
}

function redirect(
  req: IncomingMessage,
  res: ServerResponse,
  action: Extract<ActionSpec, { type: 'redirect' }>,
  listenerPort: number,
): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  const fill = (s: string) =>
    s
      .replaceAll('#{protocol}', 'http')
      .replaceAll('#{host}', host)
      .replaceAll('#{port}', String(listenerPort))
      .replaceAll('#{path}', path.replace(/^\//, ''))
      .replaceAll('#{query}', query);
  const protocol = fill(action.protocol).toLowerCase();
  const port = fill(action.port);
  const defaultPort = (protocol === 'http' && port === '80') || (protocol === 'https' && port === '443');
  const finalQuery = fill(action.query);
  const location = `${protocol}://${fill(action.host)}${defaultPort ? '' : `:${port}`}${fill(action.path)}${finalQuery ? `?${finalQuery}` : ''}`;
  res.writeHead(action.statusCode === 'HTTP_301' ? 301 : 302, {
    location,
    'content-length': 0,
    server: 'nimbus-elb',
  });
  res.end();
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  group: TargetGroupRuntime,
  listenerPort: number,
  routing: HttpRouting,
): void {
  const now = routing.now;
  group.counters.current().requestCount++;
  const target = group.pick();
  if (!target) {
    group.counters.current().elb5xx++;
    req.resume();
    elbAnswer(res, 503, 'Service Temporarily Unavailable');
    return;
  }
  const headers = passOn(req.rawHeaders, req.headers.connection, forwardedHeaders);
  const client = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers.push(
    'x-forwarded-for',
    prior ? `${prior}, ${client}` : client,
    'x-forwarded-proto',
    'http',
    'x-forwarded-port',
    String(listenerPort),
  );
  target.inFlight++;
  target.counters.current().requestCount++;
  const started = now();
  let done = false;
  const outbound = request({
    host: target.ip,
    port: target.port,
    method: req.method,
    path: req.url,
    headers,
    agent: target.agent,
    setHost: false,
    ...(routing.idleTimeoutMs > 0 ? { timeout: routing.idleTimeoutMs } : {}),
  });
  let timedOut = false;
  outbound.on('timeout', () => {
    timedOut = true;
    outbound.destroy(new Error('the target stayed silent past the idle timeout'));
  });
  const handle = {
    destroy() {
      outbound.destroy();
      res.destroy();
    },
  };
  target.open.add(handle);
  const finish = () => {
    if (done) return;
    done = true;
    target.inFlight--;
    target.open.delete(handle);
    group.released(target);
  };
  outbound.on('response', (answer) => {
    const status = answer.statusCode ?? 502;
    const seconds = (now() - started) / 1000;
    // The group keeps its own figures, so that they outlive the targets that leave it.
    countAnswer(target.counters.current(), status, seconds);
    countAnswer(group.counters.current(), status, seconds);
    res.writeHead(status, answer.statusMessage, passOn(answer.rawHeaders, answer.headers.connection));
    answer.pipe(res);
    answer.on('error', () => res.destroy());
    answer.on('aborted', () => res.destroy());
  });
  outbound.on('error', () => {
    if (!res.headersSent) group.counters.current().elb5xx++;
    if (timedOut) elbAnswer(res, 504, 'Gateway Time-out');
    else elbAnswer(res, 502, 'Bad Gateway');
    finish();
  });
  res.on('close', () => {
    if (!res.writableFinished) outbound.destroy();
    finish();
  });
  req.pipe(outbound);
}

/**
 * An Upgrade request (WebSockets): routed by the rules as any request, then
 * the request goes to the target as it came (with X-Forwarded headers) and
 * the two connections are spliced until either closes; the target's 101 (or
 * refusal) reaches the client unchanged. It counts as in flight while open.
 */
function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, routing: HttpRouting): void {
  const refuse = (status: number, text: string) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
  };
  const listener = routing.listener();
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const action = listener
    ? actionFor(listener, {
        path: q === -1 ? url : url.slice(0, q),
        host: (req.headers.host ?? '').replace(/:\d+$/, ''),
      })
    : undefined;
  const arn = action?.type === 'forward' ? chooseTargetGroup(action) : undefined;
  const group = arn === undefined ? undefined : routing.targetGroup(arn);
  if (!listener || !action || action.type !== 'forward' || !group) {
    refuse(
      action && action.type !== 'forward' ? 400 : 503,
      action && action.type !== 'forward' ? 'Bad Request' : 'Service Temporarily Unavailable',
    );
    return;
  }
  group.counters.current().requestCount++;
  const target = group.pick();
  if (!target) {
    group.counters.current().elb5xx++;
    refuse(503, 'Service Temporarily Unavailable');
    return;
  }
  const client = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  const lines = [`${req.method} ${url} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    if (!forwardedHeaders.has(name.toLowerCase())) lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
  }
  lines.push(
    `x-forwarded-for: ${prior ? `${prior}, ${client}` : client}`,
    'x-forwarded-proto: http',
    `x-forwarded-port: ${listener.port}`,
  );
  target.inFlight++;
  target.counters.current().requestCount++;
  const upstream = connect({ host: target.ip, port: target.port, noDelay: true });
  const handle = {
    destroy() {
      upstream.destroy();
      socket.destroy();
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
    socket.destroy();
    group.released(target);
  };
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', () => {
    if (!connected) {
      group.counters.current().elb5xx++;
      if (socket.writable) refuse(502, 'Bad Gateway');
    }
    finish();
  });
  socket.on('error', finish);
  upstream.on('close', finish);
  socket.on('close', finish);
}

export function createHttpListenerServer(routing: HttpRouting): Server {
  const server = createServer({ keepAliveTimeout: 60_000, requestTimeout: 0, noDelay: true }, (req, res) => {
    const listener = routing.listener();
    if (!listener) {
      elbAnswer(res, 503, 'Service Temporarily Unavailable');
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const action = actionFor(listener, {
      path: q === -1 ? url : url.slice(0, q),
      host: (req.headers.host ?? '').replace(/:\d+$/, ''),
    });
    switch (action.type) {
      case 'fixed-response':
        req.resume();
        res.writeHead(Number(action.statusCode), {
          'content-type': action.contentType,
          'content-length': Buffer.byteLength(action.messageBody),
          server: 'nimbus-elb',
        });
        res.end(action.messageBody);
        return;
      case 'redirect':
        req.resume();
        redirect(req, res, action, listener.port);
        return;
      case 'forward': {
        const arn = chooseTargetGroup(action);
        const group = arn === undefined ? undefined : routing.targetGroup(arn);
        if (!group) {
          req.resume();
          elbAnswer(res, 503, 'Service Temporarily Unavailable');
          return;
        }
        forward(req, res, group, listener.port, routing);
      }
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    upgrade(req, socket, head, routing),
  );
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

/**
 * The instance metadata service (IMDSv1 and IMDSv2) of a worker.
 *
 * Each instance gets its own HTTP listener, bound to the instance's own
 * private IP (a loopback address) on a port the kernel picks, and only that
 * instance's environment names it (AWS_EC2_METADATA_SERVICE_ENDPOINT). Why
 * not one shared endpoint, as EC2's 169.254.169.254: on one host without
 * network namespaces a request's source address cannot say which instance
 * sent it (loopback connections come from 127.0.0.1 whatever the sender), so
 * a shared endpoint could not tell instances apart. A listener per instance
 * serves exactly one instance's data, whoever connects. Binding the
 * instance's private IP keeps the endpoint on an address the instance owns
 * (one per instance, nothing to allocate); a kernel-picked port leaves the
 * instance's usual ports free. The port is kept across reboots and worker
 * restarts (the runtime passes it back), since the running instance's
 * environment names it. A private IP outside 127.0.0.0/8 (never so with the
 * process runtime) falls back to 127.0.0.1: nothing is bound off loopback.
 *
 * IMDSv2 as EC2: `PUT /latest/api/token` with X-aws-ec2-metadata-token-ttl-seconds
 * (1-21600; else 400) returns a token; a PUT carrying X-Forwarded-For is
 * refused (403), as a request relayed by a proxy on the instance would be;
 * a GET with X-aws-ec2-metadata-token must carry a valid one (else 401);
 * without a token a GET is served (IMDSv1) unless the instance requires
 * tokens (HttpTokens required: 401). The hop limit has no meaning on
 * loopback and is not enforced.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { InstanceSpec } from '../runtime/instance-spec.js';
import type { MetadataEndpoint, MetadataEndpoints } from '../runtime/metadata-endpoints.js';
import { createMetadataTokens, maxTokenTtlSeconds, minTokenTtlSeconds } from './metadata-tokens.js';
import { isDir, listingOf, lookup, type MetadataDir, metadataTree } from './metadata-tree.js';

export interface MetadataServiceOptions {
  /** HMAC key of the IMDSv2 tokens (see metadata-tokens.ts). */
  tokenKey: Uint8Array;
  logger: Logger;
  /** The clock, epoch ms (token expiry). Default Date.now. */
  now?: () => number;
}

const tokenHeader = 'x-aws-ec2-metadata-token';
const ttlHeader = 'x-aws-ec2-metadata-token-ttl-seconds';

function bindAddressFor(privateIp: string): string {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(privateIp) ? privateIp : '127.0.0.1';
}

function reply(
  res: ServerResponse,
  status: number,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'text/plain', server: 'nimbus-imds', ...headers });
  res.end(body);
}

const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
};

function refuse(res: ServerResponse, status: number, headers: Record<string, string> = {}) {
  reply(res, status, `${status} - ${statusText[status] ?? 'Error'}\n`, headers);
}

export function createMetadataService(options: MetadataServiceOptions): MetadataEndpoints {
  const tokens = createMetadataTokens(options.tokenKey, options.now);

  const handle = (spec: InstanceSpec, tree: MetadataDir, req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (spec.metadataOptions.httpEndpoint === 'disabled') return refuse(res, 404);
    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return refuse(res, 405, { allow: 'PUT' });
      if (req.headers['x-forwarded-for'] !== undefined) return refuse(res, 403);
      const ttlText = req.headers[ttlHeader];
      const ttl = typeof ttlText === 'string' && /^\d+$/.test(ttlText) ? Number(ttlText) : Number.NaN;
      if (!(ttl >= minTokenTtlSeconds && ttl <= maxTokenTtlSeconds)) return refuse(res, 400);
      return reply(res, 200, tokens.issue(spec.instanceId, ttl), { [ttlHeader]: String(ttl) });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, { allow: 'GET, HEAD' });
    const token = req.headers[tokenHeader];
    if (token !== undefined) {
      if (typeof token !== 'string' || !tokens.verify(spec.instanceId, token)) return refuse(res, 401);
    } else if (spec.metadataOptions.httpTokens === 'required') {
      return refuse(res, 401);
    }
    if (path === '/') return reply(res, 200, 'latest');
    const segments = path.split('/').filter((s) => s !== '');
    if (segments[0] !== 'latest') return refuse(res, 404);
    const node = lookup(tree, segments.slice(1));
    if (node === undefined) return refuse(res, 404);
    if (isDir(node)) return reply(res, 200, listingOf(node));
    const json = segments.at(-1) === 'document';
    return reply(res, 200, node, json ? { 'content-type': 'application/json' } : {});
  };

  return {
    async open(initial, port) {
      let spec = initial;
      let tree = metadataTree(spec);
      const host = bindAddressFor(spec.privateIp);
      const server: Server = createServer((req, res) => {
        // The request body is never used; drain it so the connection can be reused.
        req.resume();
        try {
          handle(spec, tree, req, res);
        } catch (error) {
          options.logger.error({ err: error, instanceId: spec.instanceId }, 'metadata request failed');
          if (!res.headersSent) refuse(res, 500);
        }
      });
      server.keepAliveTimeout = 5_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port ?? 0, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      const endpoint: MetadataEndpoint = {
        url: `http://${host}:${bound}/`,
        port: bound,
        update(next) {
          spec = next;
          tree = metadataTree(next);
        },
        close() {
          return new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
        },
      };
      return endpoint;
    },
  };
}

/**
 * The gateway as a service module: the AWS Query API over HTTP on loopback
 * (NIMBUS_GATEWAY_LISTEN), verifying SigV4 against the access keys it keeps
 * in the store, and calling the region's services for the verified account;
 * and GatewayAdminService over gRPC for the operators (accounts and keys).
 * Services named in NIMBUS_ENDPOINTS are called; an action of a service the
 * region does not run answers ServiceUnavailable.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DescService } from '@bufbuild/protobuf';
import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { GatewayAdminService } from '@nimbus/api/gen/nimbus/gateway/v1/gateway_admin_service_pb';
import { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import type { Client, ServiceModule } from '@nimbus/runtime';
import { cachedSecrets, createAccountStore } from './accounts/account-store.js';
import { createAdminApi } from './accounts/admin-api.js';
import { ensureDefaultKey, writeGatewayFile } from './accounts/default-key.js';
import { loadOrCreateMasterKey } from './accounts/master-key.js';
import { createSecretBox } from './accounts/secret-box.js';
import { autoScalingApi } from './autoscaling/autoscaling-api.js';
import { ec2Api } from './ec2/ec2-api.js';
import { elbv2Api } from './elbv2/elbv2-api.js';
import {
  defaultKeyOf,
  listenOf,
  masterKeyPathOf,
  readGatewayConfig,
  throttleLimitsOf,
} from './gateway-config.js';
import { createQueryHandler } from './http/query-handler.js';
import type { DownstreamName } from './query/query-action.js';
import { createSigningKeyCache } from './sigv4/signing-key.js';
import { createTokenBuckets } from './throttle/token-buckets.js';

const downstreamServices: Partial<Record<DownstreamName, DescService>> = {
  network: NetworkService,
  'block-storage': BlockStorageService,
  compute: ComputeService,
  image: ImageService,
  'load-balancer': LoadBalancingService,
};

export interface GatewayModuleOptions {
  /** The clock, epoch ms (SigV4 timestamps, token buckets). Default `Date.now`. */
  now?: () => number;
  /** Told the URL once the HTTP server listens (the region writes it to region.json). */
  onListening?: (url: string) => void;
}

export function createGatewayServiceModule(options: GatewayModuleOptions = {}): ServiceModule {
  const now = options.now ?? Date.now;
  return {
    name: 'gateway',
    async start(context) {
      const config = readGatewayConfig(context.env);
      const listen = listenOf(config);
      const limits = throttleLimitsOf(config);
      const box = createSecretBox(loadOrCreateMasterKey(masterKeyPathOf(config)));
      const accounts = createAccountStore(context.store, box, now);
      const clients: Partial<Record<DownstreamName, Client<DescService>>> = {};
      for (const [name, service] of Object.entries(downstreamServices) as [DownstreamName, DescService][]) {
        if (context.endpoints[name] !== undefined) clients[name] = context.connect(service, name);
      }
      const handler = createQueryHandler({
        apis: [ec2Api, elbv2Api, autoScalingApi],
        region: config.region,
        lookup: cachedSecrets(accounts, 5_000, now),
        keys: createSigningKeyCache(),
        clients,
        buckets: createTokenBuckets(now),
        limits,
        maxBodyBytes: config.maxBodyBytes,
        callTimeoutMs: config.callTimeoutMs,
        logger: context.logger,
        now,
      });
      const server: Server = createServer((request, response) => {
        handler(request, response).catch((error: unknown) => {
          context.logger.error({ err: error }, 'gateway: could not answer a request');
          response.destroy();
        });
      });
      // A slow client may not hold a connection forever.
      server.requestTimeout = 60_000;
      server.headersTimeout = 20_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listen.port, listen.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const url = `http://${listen.host}:${(server.address() as AddressInfo).port}`;
      context.logger.info({ url, region: config.region }, 'gateway: AWS Query API listening');
      options.onListening?.(url);
      const defaultKey = defaultKeyOf(config);
      if (defaultKey) {
        try {
          const key = await ensureDefaultKey(accounts, defaultKey.accountId, defaultKey.path);
          writeGatewayFile(defaultKey.path, { url, region: config.region, ...key });
          context.logger.info(
            { url, accountId: key.accountId, accessKeyId: key.accessKeyId, file: defaultKey.path },
            'gateway: ready-made access key written (its secret is in the file only)',
          );
        } catch (error) {
          server.close();
          throw error;
        }
      }
      return {
        services: [{ service: GatewayAdminService, impl: createAdminApi(accounts) }],
        async close() {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          });
        },
      };
    },
  };
}

export const serviceModule: ServiceModule = createGatewayServiceModule();

/**
 * One Query API request, from bytes to bytes: read the body (bounded), pick
 * the API, verify the SigV4 signature, find the action, throttle, decode the
 * parameters into the owning service's gRPC request, call it acting for the
 * verified account, and write the answer (or the AWS error) as XML.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DescService } from '@bufbuild/protobuf';
import { status as grpcStatus } from '@grpc/grpc-js';
import { type Client, isRemoteError } from '@nimbus/runtime';
import type { Logger } from 'pino';
import type { DownstreamName, QueryAction } from '../query/query-action.js';
import { errorXml, type QueryApi, responseXml } from '../query/query-api.js';
import { decodeRequest } from '../query/query-decoder.js';
import { missingParameter, QueryError } from '../query/query-error.js';
import { type QueryParams, queryParams } from '../query/query-params.js';
import { messageXml } from '../query/xml-encoder.js';
import { headerValues } from '../sigv4/canonical-request.js';
import type { SigningKeyCache } from '../sigv4/signing-key.js';
import { SigV4Error } from '../sigv4/sigv4-error.js';
import { type AccessKeySecret, type VerifiedCaller, verifyRequest } from '../sigv4/verify-request.js';
import type { ThrottleLimits, TokenBuckets } from '../throttle/token-buckets.js';
import { readBody } from './read-body.js';

export interface QueryHandlerOptions {
  apis: readonly QueryApi[];
  region: string;
  lookup(accessKeyId: string): Promise<AccessKeySecret | undefined>;
  keys: SigningKeyCache;
  /** Clients of the services present in the region; an action of an absent one answers ServiceUnavailable. */
  clients: Partial<Record<DownstreamName, Client<DescService>>>;
  buckets: TokenBuckets;
  limits: ThrottleLimits;
  maxBodyBytes: number;
  callTimeoutMs: number;
  logger: Logger;
  now?: () => number;
}

type Answer = { status: number; body: string };

/** The HTTP status AWS gives a downstream refusal, from its gRPC status. */
function httpStatusOf(code: string, status: number): number {
  if (code === 'DryRunOperation') return 412;
  if (code === 'RequestLimitExceeded') return 503;
  switch (status) {
    case grpcStatus.UNAUTHENTICATED:
      return 401;
    case grpcStatus.PERMISSION_DENIED:
      return 403;
    case grpcStatus.UNAVAILABLE:
    case grpcStatus.DEADLINE_EXCEEDED:
      return 503;
    case grpcStatus.INTERNAL:
    case grpcStatus.UNKNOWN:
    case grpcStatus.DATA_LOSS:
      return 500;
    default:
      return 400;
  }
}

function splitUrl(url: string): { rawPath: string; rawQuery: string } {
  const question = url.indexOf('?');
  return question < 0
    ? { rawPath: url, rawQuery: '' }
    : { rawPath: url.slice(0, question), rawQuery: url.slice(question + 1) };
}

export function createQueryHandler(options: QueryHandlerOptions) {
  const now = options.now ?? Date.now;
  const defaultApi = options.apis[0] as QueryApi;
  const byVersion = new Map(options.apis.map((api) => [api.version, api]));
  const bySigningName = new Map(options.apis.map((api) => [api.signingName, api]));
  const signingNames = options.apis.map((api) => api.signingName);

  /** The API a request means: by the signing name of its scope, else its Version, else EC2. */
  const apiOf = (params: QueryParams | undefined, authorization: string | undefined, rawQuery: string) => {
    const credential = authorization ?? new URLSearchParams(rawQuery).get('X-Amz-Credential') ?? '';
    const signingName = /[A-Z0-9]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(credential)?.[1];
    return (
      (signingName && bySigningName.get(signingName)) ||
      byVersion.get(params?.get('Version') ?? '') ||
      defaultApi
    );
  };

  const throttle = (api: QueryApi, entry: QueryAction, caller: VerifiedCaller, params: QueryParams) => {
    const key = `${caller.accountId}/${api.signingName}/${entry.action}`;
    const takes = [{ key, limit: options.limits[entry.throttle], cost: 1 }];
    if (entry.instanceCount) {
      const count = Number(params.get(entry.instanceCount) ?? 1);
      takes.push({
        key: `${key}#instances`,
        limit: options.limits.runInstancesInstances,
        cost: Number.isInteger(count) && count > 0 ? count : 1,
      });
    }
    if (!options.buckets.take(takes)) {
      throw new QueryError(
        api.throttledCode,
        'Request limit exceeded.',
        api.throttledCode === 'RequestLimitExceeded' ? 503 : 400,
      );
    }
  };

  const callService = async (
    service: DownstreamName,
    entry: QueryAction,
    init: Record<string, unknown>,
    caller: VerifiedCaller,
    requestId: string,
  ) => {
    const client = options.clients[service];
    if (!client) {
      throw new QueryError('ServiceUnavailable', `The ${service} service is not part of this region.`, 503);
    }
    const method = (
      client as unknown as Record<
        string,
        (request: unknown, callOptions: unknown) => Promise<Record<string, unknown>>
      >
    )[entry.method.localName];
    if (!method) throw new Error(`no client method ${entry.method.localName} on ${service}`);
    return method.call(client, init, {
      accountId: caller.accountId,
      deadlineMs: options.callTimeoutMs,
      requestId,
    });
  };

  const call = async (
    entry: QueryAction,
    init: Record<string, unknown>,
    caller: VerifiedCaller,
    requestId: string,
  ) => {
    if (!entry.byResource) return callService(entry.service, entry, init, caller, requestId);
    const owners = Object.entries(entry.byResource).sort(([a], [b]) => b.length - a.length);
    const groups = new Map<DownstreamName, string[]>();
    for (const id of (init.resources as string[] | undefined) ?? []) {
      const owner = owners.find(([prefix]) => id.startsWith(prefix))?.[1];
      if (!owner) {
        throw new QueryError(
          'InvalidID',
          `The ID '${id}' is not valid, or Nimbus cannot tag that kind of resource after creation (use TagSpecifications).`,
        );
      }
      groups.set(owner, [...(groups.get(owner) ?? []), id]);
    }
    let output: Record<string, unknown> = {};
    for (const [service, resources] of groups) {
      output = await callService(service, entry, { ...init, resources }, caller, requestId);
    }
    return output;
  };

  const answer = async (
    request: IncomingMessage,
    requestId: string,
    started: { api: QueryApi; action?: string; accountId?: string },
  ): Promise<Answer> => {
    const { rawPath, rawQuery } = splitUrl(request.url ?? '/');
    const authorization = request.headers.authorization;
    let params: QueryParams | undefined;
    try {
      const body = await readBody(request, options.maxBodyBytes);
      started.api = apiOf(undefined, authorization, rawQuery);
      const contentType = request.headers['content-type'] ?? '';
      const form =
        request.method === 'POST' &&
        (contentType === '' || contentType.startsWith('application/x-www-form-urlencoded'));
      params = queryParams(rawQuery, form ? body.toString('utf8') : undefined);
      started.api = apiOf(params, authorization, rawQuery);
      const api = started.api;
      let caller: VerifiedCaller;
      try {
        caller = await verifyRequest(
          {
            method: request.method ?? 'GET',
            rawPath,
            rawQuery,
            headers: headerValues(request.rawHeaders),
            body,
          },
          {
            lookup: options.lookup,
            keys: options.keys,
            region: options.region,
            services: signingNames,
            now: now(),
          },
        );
      } catch (error) {
        if (!(error instanceof SigV4Error)) throw error;
        const { code, httpStatus } = api.authErrors[error.kind];
        throw new QueryError(code, error.message, httpStatus);
      }
      started.accountId = caller.accountId;
      const actionName = params.get('Action');
      if (actionName === undefined || actionName === '') {
        throw new QueryError('MissingAction', 'The request must contain the parameter Action.');
      }
      started.action = actionName;
      const entry = api.actions.get(actionName);
      if (!entry) {
        throw new QueryError(
          'InvalidAction',
          `The action ${actionName} is not valid for this web service: Nimbus does not implement it.`,
        );
      }
      if (!params.get('Version')) throw missingParameter('Version');
      throttle(api, entry, caller, params);
      for (const name of entry.required) {
        if (![...params.keys()].some((key) => key === name || key.startsWith(`${name}.`)))
          throw missingParameter(name);
      }
      const init = decodeRequest(entry.method.input, params, entry.ignored, api.style);
      const output = await call(entry, init, caller, requestId);
      let inner: string;
      if (entry.flatten) {
        const field = entry.method.output.fields.find((f) => f.localName === entry.flatten);
        const value = output[entry.flatten] as Record<string, unknown> | undefined;
        inner =
          field?.fieldKind === 'message' && value ? messageXml(field.message, value, true, api.style) : '';
      } else {
        inner = messageXml(entry.method.output, output, true, api.style);
      }
      // EC2 answers `<return>true</return>` for actions whose result is nothing else.
      if (inner === '' && api.errorFormat === 'ec2') inner = '<return>true</return>';
      return { status: 200, body: responseXml(api, entry.action, inner, requestId) };
    } catch (error) {
      const api = started.api;
      if (error instanceof QueryError) {
        return { status: error.httpStatus, body: errorXml(api, error.code, error.message, requestId) };
      }
      if (isRemoteError(error)) {
        const status = httpStatusOf(error.code, error.status);
        // A transport failure (service down) carries grpc-js's wording; say it plainly.
        const message =
          error.code === 'ServiceUnavailable'
            ? 'The service is unavailable. Please try again shortly.'
            : error.message;
        return { status, body: errorXml(api, error.code, message, requestId) };
      }
      options.logger.error({ err: error, requestId, action: started.action }, 'gateway: request failed');
      return {
        status: 500,
        body: errorXml(api, 'InternalError', 'An internal error has occurred.', requestId),
      };
    }
  };

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const startedAt = performance.now();
    const started: { api: QueryApi; action?: string; accountId?: string } = { api: defaultApi };
    const { status, body } = await answer(request, requestId, started);
    response.writeHead(status, {
      'content-type': 'text/xml;charset=UTF-8',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': requestId,
      ...(status === 413 ? { connection: 'close' } : {}),
    });
    response.end(body);
    // Never the Authorization header or the body: they carry signatures and parameters only the caller should see.
    if (options.logger.isLevelEnabled('debug')) {
      options.logger.debug(
        {
          requestId,
          action: started.action,
          accountId: started.accountId,
          status,
          ms: Math.round(performance.now() - startedAt),
        },
        'gateway request',
      );
    }
  };
}

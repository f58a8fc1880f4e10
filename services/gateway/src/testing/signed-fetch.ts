/**
 * Raw Query requests signed as the SDKs sign them (@smithy/signature-v4), for
 * tests that look at the bytes: the XML, the status, the headers.
 */
import { Agent, request as httpRequest } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AccessKeyPair } from './gateway-under-test.js';

export interface RawAnswer {
  status: number;
  body: string;
  headers: Headers;
}

export interface SignOptions {
  region?: string;
  service?: string;
  /** The signer's clock (to make a stale request). */
  signingDate?: Date;
  /** Sign as a presigned URL (GET, parameters in the query) instead of the header. */
  presign?: boolean;
  expiresIn?: number;
  /** Send this body as it is instead of the form encoding of the parameters. */
  rawBody?: string;
}

const signers = new Map<string, SignatureV4>();

/** One signer per key and scope, as a client keeps its own (it caches signing keys). */
function signer(key: AccessKeyPair, options: SignOptions): SignatureV4 {
  const name = `${key.accessKeyId}/${key.secretAccessKey}/${options.region ?? 'nimbus-1'}/${options.service ?? 'ec2'}`;
  const known = signers.get(name);
  if (known) return known;
  const made = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    region: options.region ?? 'nimbus-1',
    service: options.service ?? 'ec2',
    sha256: Hash.bind(null, 'sha256'),
  });
  signers.set(name, made);
  return made;
}

export async function signedQuery(
  url: string,
  key: AccessKeyPair,
  params: Record<string, string>,
  options: SignOptions = {},
): Promise<RawAnswer> {
  const endpoint = new URL(url);
  const base = {
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: Number(endpoint.port),
    path: '/',
  };
  let target: string;
  let init: { method: string; headers: Record<string, string>; body?: string };
  if (options.presign) {
    const request = new HttpRequest({
      ...base,
      method: 'GET',
      query: params,
      headers: { host: endpoint.host },
    });
    const signed = await signer(key, options).presign(request, {
      expiresIn: options.expiresIn ?? 300,
      ...(options.signingDate ? { signingDate: options.signingDate } : {}),
    });
    const query = Object.entries(signed.query ?? {})
      .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
      .join('&');
    target = `${url}/?${query}`;
    init = { method: 'GET', headers: signed.headers };
  } else {
    const body = options.rawBody ?? new URLSearchParams(params).toString();
    const request = new HttpRequest({
      ...base,
      method: 'POST',
      headers: { host: endpoint.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    });
    const signed = await signer(key, options).sign(
      request,
      options.signingDate ? { signingDate: options.signingDate } : {},
    );
    target = `${url}/`;
    const { host: _host, ...headers } = signed.headers;
    init = { method: 'POST', headers, body };
  }
  return send(target, init);
}

/** Keep-alive connections, as the SDKs keep them. */
const agent = new Agent({ keepAlive: true });

function send(
  target: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(target, { method: init.method, headers: init.headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          if (typeof value === 'string') headers.set(name, value);
        }
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(init.body);
  });
}

/**
 * Raw Query requests signed as the SDKs sign them (@smithy/signature-v4), for
 * tests that look at the bytes: the XML, the status, the headers.
 */
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

function signer(key: AccessKeyPair, options: SignOptions): SignatureV4 {
  return new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    region: options.region ?? 'nimbus-1',
    service: options.service ?? 'ec2',
    sha256: Hash.bind(null, 'sha256'),
  });
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
  let init: RequestInit;
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
  const response = await fetch(target, init);
  return { status: response.status, body: await response.text(), headers: response.headers };
}

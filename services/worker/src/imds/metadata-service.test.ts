import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createLogger } from '@nimbus/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultMetadataOptions, type InstanceSpec } from '../runtime/instance-spec.js';
import type { MetadataEndpoint } from '../runtime/metadata-endpoints.js';
import { testInstanceId, testPrivateIp } from '../testing/test-instances.js';
import { createMetadataService } from './metadata-service.js';

const logger = createLogger({ service: 'imds-test', level: 'silent' });
let clock = Date.now();
const service = createMetadataService({ tokenKey: randomBytes(32), logger, now: () => clock });
const open: MetadataEndpoint[] = [];

afterEach(async () => {
  for (const endpoint of open.splice(0)) await endpoint.close();
  clock = Date.now();
});

function specOf(overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    instanceId: testInstanceId(),
    accountId: '111111111111',
    region: 'nimbus-1',
    availabilityZone: 'nimbus-1b',
    imageId: 'ami-0aaaaaaaaaaaaaaaa',
    instanceType: 't3.small',
    vcpus: 2,
    memoryMiB: 2048,
    privateIp: testPrivateIp(),
    bootCommand: '',
    userData: new TextEncoder().encode('hello=1'),
    securityGroups: ['default', 'web'],
    rootVolume: { volumeId: 'vol-0bbbbbbbbbbbbbbbb' },
    metadataOptions: defaultMetadataOptions,
    launchTime: new Date('2026-11-24T22:00:00.000Z'),
    reservationId: 'r-0ccccccccccccccccc',
    ...overrides,
  };
}

async function openFor(spec: InstanceSpec, port?: number): Promise<MetadataEndpoint> {
  const endpoint = await service.open(spec, port);
  open.push(endpoint);
  return endpoint;
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One real HTTP request (node:http, so any header can be sent, X-Forwarded-For included). */
function call(url: string, method: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          headers: res.headers,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const get = (endpoint: MetadataEndpoint, path: string, headers?: Record<string, string>) =>
  call(new URL(path, endpoint.url).href, 'GET', headers);

async function tokenFor(endpoint: MetadataEndpoint, ttl = '60'): Promise<string> {
  const answer = await call(new URL('/latest/api/token', endpoint.url).href, 'PUT', {
    'X-aws-ec2-metadata-token-ttl-seconds': ttl,
  });
  expect(answer.status).toBe(200);
  expect(answer.headers['x-aws-ec2-metadata-token-ttl-seconds']).toBe(ttl);
  return answer.body;
}

describe('instance metadata service', () => {
  it("listens on the instance's own private IP and serves its metadata over IMDSv1", async () => {
    const spec = specOf();
    const endpoint = await openFor(spec);
    expect(new URL(endpoint.url).hostname).toBe(spec.privateIp);
    expect(await get(endpoint, '/latest/meta-data/instance-id')).toMatchObject({
      status: 200,
      body: spec.instanceId,
    });
    expect((await get(endpoint, '/latest/meta-data/local-ipv4')).body).toBe(spec.privateIp);
    expect((await get(endpoint, '/latest/meta-data/placement/availability-zone')).body).toBe('nimbus-1b');
    expect((await get(endpoint, '/latest/meta-data/instance-type')).body).toBe('t3.small');
    expect((await get(endpoint, '/latest/meta-data/ami-id')).body).toBe('ami-0aaaaaaaaaaaaaaaa');
    expect((await get(endpoint, '/latest/meta-data/security-groups')).body).toBe('default\nweb');
    expect((await get(endpoint, '/latest/user-data')).body).toBe('hello=1');
    const listing = (await get(endpoint, '/latest/meta-data/')).body.split('\n');
    expect(listing).toEqual(
      expect.arrayContaining(['instance-id', 'placement/', 'local-ipv4', 'security-groups']),
    );
    expect(listing).not.toContain('public-ipv4');
    expect(listing).not.toContain('public-keys/');
    const document = JSON.parse((await get(endpoint, '/latest/dynamic/instance-identity/document')).body);
    expect(document).toMatchObject({
      accountId: '111111111111',
      instanceId: spec.instanceId,
      imageId: 'ami-0aaaaaaaaaaaaaaaa',
      availabilityZone: 'nimbus-1b',
      region: 'nimbus-1',
      privateIp: spec.privateIp,
      pendingTime: '2026-11-24T22:00:00Z',
      version: '2017-09-30',
    });
    expect((await get(endpoint, '/latest/meta-data/public-ipv4')).status).toBe(404);
    expect((await get(endpoint, '/latest/meta-data/constructor')).status).toBe(404);
  });

  it('serves the public IP and the key pair only when the instance has them, and follows updates', async () => {
    const spec = specOf({ keyName: 'demo', openSshKey: 'ssh-ed25519 AAAAC3Nz demo' });
    const endpoint = await openFor(spec);
    expect((await get(endpoint, '/latest/meta-data/public-keys/')).body).toBe('0=demo');
    expect((await get(endpoint, '/latest/meta-data/public-keys/0/openssh-key')).body).toBe(
      'ssh-ed25519 AAAAC3Nz demo',
    );
    endpoint.update({ ...spec, publicIp: '127.64.0.9' });
    expect((await get(endpoint, '/latest/meta-data/public-ipv4')).body).toBe('127.64.0.9');
  });

  it('gives each instance only its own data', async () => {
    const a = specOf();
    const b = specOf();
    const [endpointA, endpointB] = [await openFor(a), await openFor(b)];
    expect((await get(endpointA, '/latest/meta-data/instance-id')).body).toBe(a.instanceId);
    expect((await get(endpointB, '/latest/meta-data/instance-id')).body).toBe(b.instanceId);
    // A token of one instance is worth nothing at another's endpoint.
    const tokenA = await tokenFor(endpointA);
    expect(
      (await get(endpointB, '/latest/meta-data/instance-id', { 'X-aws-ec2-metadata-token': tokenA })).status,
    ).toBe(401);
  });

  it('IMDSv2: tokens with a TTL of 1 to 21600 seconds, valid until they expire', async () => {
    const endpoint = await openFor(specOf());
    const token = await tokenFor(endpoint, '2');
    const withToken = { 'X-aws-ec2-metadata-token': token };
    expect((await get(endpoint, '/latest/meta-data/instance-type', withToken)).status).toBe(200);
    clock += 2_000;
    expect((await get(endpoint, '/latest/meta-data/instance-type', withToken)).status).toBe(401);
    expect(
      (await get(endpoint, '/latest/meta-data/instance-type', { 'X-aws-ec2-metadata-token': 'forged' }))
        .status,
    ).toBe(401);
    const put = (ttl?: string) =>
      call(
        new URL('/latest/api/token', endpoint.url).href,
        'PUT',
        ttl === undefined ? {} : { 'X-aws-ec2-metadata-token-ttl-seconds': ttl },
      );
    expect((await put()).status).toBe(400);
    expect((await put('0')).status).toBe(400);
    expect((await put('21601')).status).toBe(400);
    expect((await put('1.5')).status).toBe(400);
    expect((await put('21600')).status).toBe(200);
    expect((await call(new URL('/latest/api/token', endpoint.url).href, 'GET')).status).toBe(405);
  });

  it('refuses a token PUT that came through a proxy (X-Forwarded-For)', async () => {
    const endpoint = await openFor(specOf());
    const answer = await call(new URL('/latest/api/token', endpoint.url).href, 'PUT', {
      'X-aws-ec2-metadata-token-ttl-seconds': '60',
      'X-Forwarded-For': '127.0.0.1',
    });
    expect(answer.status).toBe(403);
  });

  it('answers 401 to a GET without a token when the instance requires tokens', async () => {
    const endpoint = await openFor(
      specOf({ metadataOptions: { ...defaultMetadataOptions, httpTokens: 'required' } }),
    );
    expect((await get(endpoint, '/latest/meta-data/instance-id')).status).toBe(401);
    const token = await tokenFor(endpoint);
    expect(
      (await get(endpoint, '/latest/meta-data/instance-id', { 'X-aws-ec2-metadata-token': token })).status,
    ).toBe(200);
  });

  it('serves tags only when the instance allows tags in its metadata', async () => {
    const tags = { Name: 'web-1', team: 'blue' };
    const withTags = await openFor(
      specOf({ tags, metadataOptions: { ...defaultMetadataOptions, instanceMetadataTags: 'enabled' } }),
    );
    expect((await get(withTags, '/latest/meta-data/tags/instance')).body).toBe('Name\nteam');
    expect((await get(withTags, '/latest/meta-data/tags/instance/Name')).body).toBe('web-1');
    const without = await openFor(specOf({ tags }));
    expect((await get(without, '/latest/meta-data/tags/instance/Name')).status).toBe(404);
  });

  it('reopens on a given port, as for a re-adopted instance whose environment names it', async () => {
    const spec = specOf();
    const first = await service.open(spec);
    const port = first.port;
    await first.close();
    const again = await openFor(spec, port);
    expect(again.url).toBe(`http://${spec.privateIp}:${port}/`);
    expect((await get(again, '/latest/meta-data/instance-id')).body).toBe(spec.instanceId);
  });
});

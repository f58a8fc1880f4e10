import { describe, expect, it } from 'vitest';
import { headerValues } from './canonical-request.js';
import { createSigningKeyCache, deriveSigningKey } from './signing-key.js';
import { SigV4Error } from './sigv4-error.js';
import { type SignedRequest, type VerifyOptions, verifyRequest } from './verify-request.js';

// AWS's published Signature Version 4 test suite (aws-sig-v4-test-suite):
// its example credentials, scope and time, and the signatures it lists.
const suiteSecret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const suiteTime = Date.UTC(2015, 7, 30, 12, 36, 0);
const suiteScope = 'Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';

function suiteOptions(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    lookup: async (id) =>
      id === 'AKIDEXAMPLE' ? { accountId: '123456789012', secret: suiteSecret } : undefined,
    keys: createSigningKeyCache(),
    region: 'us-east-1',
    services: ['service'],
    now: suiteTime,
    ...overrides,
  };
}

function suiteRequest(method: string, target: string, signature: string, body = ''): SignedRequest {
  const [rawPath, rawQuery = ''] = target.split('?') as [string, string?];
  return {
    method,
    rawPath,
    rawQuery,
    headers: headerValues([
      'Host',
      'example.amazonaws.com',
      'X-Amz-Date',
      '20150830T123600Z',
      'Authorization',
      `AWS4-HMAC-SHA256 ${suiteScope}, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    ]),
    body: Buffer.from(body),
  };
}

async function refusal(request: SignedRequest, options: VerifyOptions): Promise<SigV4Error> {
  const error = await verifyRequest(request, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SigV4Error)) throw new Error(`expected a SigV4Error, got ${String(error)}`);
  return error;
}

describe('the published test suite', () => {
  it('derives the listed signing key', () => {
    expect(deriveSigningKey(suiteSecret, '20150830', 'us-east-1', 'service').toString('hex')).toBe(
      '938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75',
    );
  });

  it.each([
    ['get-vanilla', 'GET', '/', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    [
      'get-vanilla-query-order-key-case',
      'GET',
      '/?Param2=value2&Param1=value1',
      'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    ],
    ['post-vanilla', 'POST', '/', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
    ['get-utf8', 'GET', '/ሴ', '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85'],
  ])('accepts %s', async (_name, method, target, signature) => {
    const caller = await verifyRequest(suiteRequest(method, target, signature), suiteOptions());
    expect(caller).toEqual({ accountId: '123456789012', accessKeyId: 'AKIDEXAMPLE', service: 'service' });
  });

  it("accepts AWS's S3 GET example, with a range header and x-amz-content-sha256", async () => {
    const request: SignedRequest = {
      method: 'GET',
      rawPath: '/test.txt',
      rawQuery: '',
      headers: headerValues([
        'Host',
        'examplebucket.s3.amazonaws.com',
        'Range',
        'bytes=0-9',
        'x-amz-content-sha256',
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        'x-amz-date',
        '20130524T000000Z',
        'Authorization',
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
      ]),
      body: Buffer.alloc(0),
    };
    const caller = await verifyRequest(
      request,
      suiteOptions({
        lookup: async () => ({
          accountId: '123456789012',
          secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        }),
        services: ['s3'],
        now: Date.UTC(2013, 4, 24, 0, 5, 0),
      }),
    );
    expect(caller.accessKeyId).toBe('AKIAIOSFODNN7EXAMPLE');
  });
});

describe('refusals', () => {
  const vanilla = '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31';

  it('a changed request no longer matches its signature', async () => {
    const error = await refusal(suiteRequest('GET', '/?Param1=value1', vanilla), suiteOptions());
    expect(error.kind).toBe('mismatch');
  });

  it('a body that is not the one signed does not match', async () => {
    const error = await refusal(
      suiteRequest('POST', '/', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b', 'x=1'),
      suiteOptions(),
    );
    expect(error.kind).toBe('mismatch');
  });

  it('an unknown access key', async () => {
    const error = await refusal(
      suiteRequest('GET', '/', vanilla),
      suiteOptions({ lookup: async () => undefined }),
    );
    expect(error.kind).toBe('unknown-key');
  });

  it('a timestamp more than 15 minutes old, or ahead', async () => {
    expect(
      (
        await refusal(
          suiteRequest('GET', '/', vanilla),
          suiteOptions({ now: suiteTime + 15 * 60_000 + 1000 }),
        )
      ).kind,
    ).toBe('expired');
    expect(
      (await refusal(suiteRequest('GET', '/', vanilla), suiteOptions({ now: suiteTime - 16 * 60_000 }))).kind,
    ).toBe('expired');
    await expect(
      verifyRequest(suiteRequest('GET', '/', vanilla), suiteOptions({ now: suiteTime + 14 * 60_000 })),
    ).resolves.toBeDefined();
  });

  it('a scope for another region or service', async () => {
    expect(
      (await refusal(suiteRequest('GET', '/', vanilla), suiteOptions({ region: 'nimbus-1' }))).message,
    ).toContain("valid region, not 'us-east-1'");
    expect((await refusal(suiteRequest('GET', '/', vanilla), suiteOptions({ services: ['ec2'] }))).kind).toBe(
      'mismatch',
    );
  });

  it('an Authorization header without its parts', async () => {
    const request = suiteRequest('GET', '/', vanilla);
    const headers = new Map(request.headers);
    headers.set('authorization', [`AWS4-HMAC-SHA256 ${suiteScope}, SignedHeaders=host;x-amz-date`]);
    const error = await refusal({ ...request, headers }, suiteOptions());
    expect(error.kind).toBe('incomplete');
    expect(error.message).toContain("'Signature'");
  });

  it('no signature at all', async () => {
    const request = suiteRequest('GET', '/', vanilla);
    const headers = new Map(request.headers);
    headers.delete('authorization');
    expect((await refusal({ ...request, headers }, suiteOptions())).kind).toBe('missing');
  });
});

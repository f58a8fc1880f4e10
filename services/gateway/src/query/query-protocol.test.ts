/**
 * The Query protocol as clients meet it on the wire: the XML and statuses of
 * answers and refusals, parameter errors, signatures in both forms and the
 * ways they fail (checked with the real SDK where it can send them).
 */
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { useGatewayUnderTest } from '../testing/gateway-under-test.js';
import { sdkError } from '../testing/sdk-error.js';
import { signedQuery } from '../testing/signed-fetch.js';

const gw = useGatewayUnderTest();
const version = '2016-11-15';

function errorOf(body: string): { code: string; message: string; requestId: string } {
  return {
    code: /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? '',
    message: /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? '',
    requestId: /<RequestID>([^<]*)<\/RequestID>/.exec(body)?.[1] ?? '',
  };
}

describe('answers', () => {
  it('are EC2 XML in its namespace with the request id of the x-amzn-requestid header', async () => {
    const answer = await signedQuery(gw.url, gw.keyA, { Action: 'DescribeVpcs', Version: version });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/xml');
    expect(answer.body).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeVpcsResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>/,
    );
    expect(answer.body).toContain(`<requestId>${answer.headers.get('x-amzn-requestid')}</requestId>`);
  });

  it('EC2 errors are <Response><Errors><Error> with a RequestID', async () => {
    const answer = await signedQuery(gw.url, gw.keyA, {
      Action: 'DescribeVpcs',
      Version: version,
      'VpcId.1': 'vpc-bad',
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(
      /<Response><Errors><Error><Code>InvalidVpcID.Malformed<\/Code><Message>[^<]+<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );
  });
});

describe('parameters', () => {
  it('an action Nimbus does not implement is named in InvalidAction', async () => {
    const answer = await signedQuery(gw.url, gw.keyA, {
      Action: 'DescribeSpotFleetRequests',
      Version: version,
    });
    expect(answer.status).toBe(400);
    expect(errorOf(answer.body)).toMatchObject({ code: 'InvalidAction' });
    expect(errorOf(answer.body).message).toContain('DescribeSpotFleetRequests');
  });

  it('no Action is MissingAction, no Version MissingParameter', async () => {
    expect(errorOf((await signedQuery(gw.url, gw.keyA, { Version: version })).body).code).toBe(
      'MissingAction',
    );
    const noVersion = await signedQuery(gw.url, gw.keyA, { Action: 'DescribeVpcs' });
    expect(errorOf(noVersion.body)).toMatchObject({ code: 'MissingParameter' });
    expect(errorOf(noVersion.body).message).toContain('Version');
  });

  it('a required parameter left out is MissingParameter naming it', async () => {
    const answer = await signedQuery(gw.url, gw.keyA, {
      Action: 'CreateVolume',
      Version: version,
      Size: '1',
    });
    expect(answer.status).toBe(400);
    expect(errorOf(answer.body)).toMatchObject({
      code: 'MissingParameter',
      message: 'The request must contain the parameter AvailabilityZone',
    });
  });

  it('a parameter no field takes is UnknownParameter; a bad number InvalidParameterValue', async () => {
    const unknown = await signedQuery(gw.url, gw.keyA, {
      Action: 'DescribeVpcs',
      Version: version,
      Colour: 'blue',
    });
    expect(errorOf(unknown.body)).toMatchObject({
      code: 'UnknownParameter',
      message: 'The parameter Colour is not recognized',
    });
    const badNumber = await signedQuery(gw.url, gw.keyA, {
      Action: 'DescribeVpcs',
      Version: version,
      MaxResults: 'ten',
    });
    expect(errorOf(badNumber.body)).toMatchObject({ code: 'InvalidParameterValue' });
    expect(errorOf(badNumber.body).message).toContain('MaxResults');
  });

  it('decodes lists of structures with lists inside (Filter.N.Value.M)', async () => {
    const answer = await signedQuery(gw.url, gw.keyA, {
      Action: 'DescribeVpcs',
      Version: version,
      'Filter.1.Name': 'cidr-block',
      'Filter.1.Value.1': '127.16.0.0/16',
      'Filter.1.Value.2': '127.99.0.0/16',
    });
    expect(answer.status).toBe(200);
  });

  it('a malformed percent-encoding is MalformedQueryString', async () => {
    const answer = await signedQuery(
      gw.url,
      gw.keyA,
      {},
      { rawBody: `Action=DescribeVpcs&Version=${version}&Bad=%zz` },
    );
    expect(answer.status).toBe(400);
    expect(errorOf(answer.body).code).toBe('MalformedQueryString');
  });

  it('a body over the limit is refused with 413 before it is read whole', async () => {
    const huge = 'x'.repeat(1_048_577);
    const response = await fetch(`${gw.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `Action=DescribeVpcs&Version=${version}&Pad=${huge}`,
    });
    expect(response.status).toBe(413);
    expect(errorOf(await response.text()).code).toBe('RequestEntityTooLarge');
  });
});

describe('signatures', () => {
  it('presigned GET URLs work, and stop working when they expire', async () => {
    const fresh = await signedQuery(
      gw.url,
      gw.keyA,
      { Action: 'DescribeVpcs', Version: version },
      { presign: true },
    );
    expect(fresh.status).toBe(200);
    const old = await signedQuery(
      gw.url,
      gw.keyA,
      { Action: 'DescribeVpcs', Version: version },
      { presign: true, expiresIn: 60, signingDate: new Date(Date.now() - 120_000) },
    );
    expect(old.status).toBe(400);
    expect(errorOf(old.body).code).toBe('RequestExpired');
  });

  it('a wrong secret is SignatureDoesNotMatch', async () => {
    const error = await sdkError(
      gw.ec2({ ...gw.keyA, secretAccessKey: 'x'.repeat(40) }).send(new DescribeVpcsCommand({})),
    );
    expect(error.name).toBe('SignatureDoesNotMatch');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });

  it('an unknown access key is AuthFailure', async () => {
    const error = await sdkError(
      gw.ec2({ ...gw.keyA, accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }).send(new DescribeVpcsCommand({})),
    );
    expect(error.name).toBe('AuthFailure');
    expect(error.$metadata.httpStatusCode).toBe(401);
  });

  it('a timestamp 20 minutes old is RequestExpired', async () => {
    const error = await sdkError(
      gw.ec2(gw.keyA, { systemClockOffset: -20 * 60_000 }).send(new DescribeVpcsCommand({})),
    );
    expect(error.name).toBe('RequestExpired');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('a scope for another region is SignatureDoesNotMatch', async () => {
    const error = await sdkError(gw.ec2(gw.keyA, { region: 'us-east-1' }).send(new DescribeVpcsCommand({})));
    expect(error.name).toBe('SignatureDoesNotMatch');
    expect(error.message).toContain('us-east-1');
  });

  it('no signature at all is AuthFailure', async () => {
    const response = await fetch(`${gw.url}/?Action=DescribeVpcs&Version=${version}`);
    expect(response.status).toBe(401);
    expect(errorOf(await response.text()).code).toBe('AuthFailure');
  });

  it('an inactive key is refused, and listed keys never show a secret', async () => {
    const { accessKey } = await gw.admin.createAccessKey({ accountId: gw.keyB.accountId });
    const key = {
      accountId: gw.keyB.accountId,
      accessKeyId: accessKey?.accessKeyId ?? '',
      secretAccessKey: accessKey?.secretAccessKey ?? '',
    };
    expect(key.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(key.secretAccessKey).toHaveLength(40);
    await gw.admin.updateAccessKey({ accessKeyId: key.accessKeyId, status: 'Inactive' });
    expect((await sdkError(gw.ec2(key).send(new DescribeVpcsCommand({})))).name).toBe('AuthFailure');
    const listed = await gw.admin.listAccessKeys({ accountId: gw.keyB.accountId });
    expect(listed.accessKeys.map((k) => k.secretAccessKey)).toEqual(['', '']);
    await gw.admin.deleteAccessKey({ accessKeyId: key.accessKeyId });
  });
});

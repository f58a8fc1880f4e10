import { codeOf } from '@nimbus/service-kit';
import { describe, expect, it } from 'vitest';
import { parseActions } from './actions.js';
import { listenerArn, loadBalancerArn, parseArn, ruleArn, targetGroupArn } from './arns.js';
import { compileConditions, parseConditions } from './conditions.js';
import { parseMatcher, resolveHealthCheck } from './health-check-settings.js';
import { checkLoadBalancerName, checkTargetGroupName } from './names.js';
import { applyAttributes, defaultAttributes } from './target-group-attributes.js';

const hex = '0123456789abcdef';
const lbHex = 'fedcba9876543210';
const parts = {
  region: 'nimbus-1',
  accountId: '111111111111',
  type: 'application' as const,
  name: 'web',
  hex: lbHex,
};

describe('ARNs', () => {
  it("round-trips ELBv2's forms and refuses others", () => {
    expect(loadBalancerArn(parts)).toBe(
      `arn:aws:elasticloadbalancing:nimbus-1:111111111111:loadbalancer/app/web/${lbHex}`,
    );
    expect(parseArn(listenerArn(parts, hex))).toMatchObject({
      kind: 'listener',
      hex,
      loadBalancerHex: lbHex,
    });
    expect(parseArn(ruleArn(parts, hex, hex))).toMatchObject({ kind: 'listener-rule', listenerHex: hex });
    expect(parseArn(targetGroupArn('nimbus-1', '111111111111', 'tg', hex))).toMatchObject({
      kind: 'targetgroup',
      hex,
    });
    expect(parseArn(`arn:aws:ec2:nimbus-1:111111111111:loadbalancer/app/web/${lbHex}`)).toBeUndefined();
    expect(
      parseArn(`arn:aws:elasticloadbalancing:nimbus-1:1111:loadbalancer/app/web/${lbHex}`),
    ).toBeUndefined();
    expect(
      parseArn(`arn:aws:elasticloadbalancing:nimbus-1:111111111111:loadbalancer/app/web/xyz`),
    ).toBeUndefined();
  });
});

describe('names', () => {
  it('allows 1-32 letters, digits and inner hyphens', () => {
    expect(codeOf(() => checkLoadBalancerName('a-b-1'))).toBeUndefined();
    expect(codeOf(() => checkLoadBalancerName('a'.repeat(33)))).toBe('ValidationError');
    expect(codeOf(() => checkLoadBalancerName('a_b'))).toBe('ValidationError');
    expect(codeOf(() => checkLoadBalancerName('ab-'))).toBe('ValidationError');
    expect(codeOf(() => checkLoadBalancerName('internal-web'))).toBe('ValidationError');
    expect(codeOf(() => checkTargetGroupName('internal-web'))).toBeUndefined();
  });
});

describe('health checks', () => {
  it('takes defaults per protocol and keeps settings on a change of other ones', () => {
    const http = resolveHealthCheck('HTTP', undefined, {});
    expect(http).toMatchObject({
      protocol: 'HTTP',
      path: '/',
      intervalSeconds: 30,
      timeoutSeconds: 5,
      matcher: '200',
    });
    const tcp = resolveHealthCheck('TCP', undefined, {});
    expect(tcp).toMatchObject({ protocol: 'TCP', path: '', timeoutSeconds: 10, matcher: '' });
    const httpOnTcp = resolveHealthCheck('TCP', undefined, { protocol: 'HTTP' });
    expect(httpOnTcp).toMatchObject({ protocol: 'HTTP', path: '/', matcher: '200-399' });
    const changed = resolveHealthCheck('HTTP', http, { intervalSeconds: 10 });
    expect(changed).toMatchObject({ intervalSeconds: 10, path: '/', matcher: '200' });
    expect(codeOf(() => resolveHealthCheck('TCP', undefined, { path: '/x' }))).toBe('ValidationError');
    expect(codeOf(() => resolveHealthCheck('HTTP', undefined, { path: 'x' }))).toBe('ValidationError');
    expect(codeOf(() => resolveHealthCheck('HTTP', undefined, { port: '70000' }))).toBe('ValidationError');
  });

  it('parses matchers within the allowed codes', () => {
    const m = parseMatcher('200,202-204', 'HTTP');
    expect([200, 201, 202, 204, 205].map(m)).toEqual([true, false, true, true, false]);
    expect(parseMatcher('200-599', 'TCP')(550)).toBe(true);
    expect(codeOf(() => parseMatcher('200-599', 'HTTP'))).toBe('ValidationError');
    expect(codeOf(() => parseMatcher('20x', 'HTTP'))).toBe('ValidationError');
    expect(codeOf(() => parseMatcher('300-200', 'HTTP'))).toBe('ValidationError');
  });
});

describe('attributes', () => {
  it('refuses algorithm and slow start on TCP groups and slow start with weighted_random', () => {
    const tcp = defaultAttributes('TCP');
    expect(
      codeOf(() =>
        applyAttributes('TCP', tcp, [{ key: 'load_balancing.algorithm.type', value: 'round_robin' }]),
      ),
    ).toBe('ValidationError');
    expect(
      applyAttributes('TCP', tcp, [{ key: 'deregistration_delay.timeout_seconds', value: '0' }])
        .deregistrationDelaySeconds,
    ).toBe(0);
    const http = defaultAttributes('HTTP');
    expect(
      codeOf(() =>
        applyAttributes('HTTP', http, [
          { key: 'slow_start.duration_seconds', value: '60' },
          { key: 'load_balancing.algorithm.type', value: 'weighted_random' },
        ]),
      ),
    ).toBe('ValidationError');
    expect(codeOf(() => applyAttributes('HTTP', http, [{ key: 'nope', value: '1' }]))).toBe(
      'ValidationError',
    );
  });
});

describe('conditions and actions', () => {
  it('matches paths case-sensitively and hosts not, with * and ?', () => {
    const match = compileConditions(
      parseConditions([
        { field: 'path-pattern', values: ['/img/*.png', '/a?c'] },
        { field: 'host-header', values: ['*.Example.com'] },
      ]),
    );
    expect(match({ path: '/img/x/y.png', host: 'www.example.COM' })).toBe(true);
    expect(match({ path: '/abc', host: 'a.example.com' })).toBe(true);
    expect(match({ path: '/IMG/y.png', host: 'a.example.com' })).toBe(false);
    expect(match({ path: '/abbc', host: 'a.example.com' })).toBe(false);
    expect(match({ path: '/abc', host: 'example.com' })).toBe(false);
    expect(codeOf(() => parseConditions([{ field: 'query-string', values: ['a'] }]))).toBe('ValidationError');
    expect(
      codeOf(() =>
        parseConditions([
          { field: 'path-pattern', values: ['/a'] },
          { field: 'path-pattern', values: ['/b'] },
        ]),
      ),
    ).toBe('ValidationError');
  });

  it('checks actions as ELBv2 does', () => {
    const forward = (weights: number[]) =>
      parseActions(
        [
          {
            type: 'forward',
            targetGroupArn: '',
            order: 0,
            forwardConfig: {
              targetGroups: weights.map((weight, i) => ({ targetGroupArn: `tg${i}`, weight })),
            },
          },
        ],
        'application',
      );
    expect(forward([1, 3])).toMatchObject({ type: 'forward', weighted: true });
    expect(codeOf(() => forward([0, 0]))).toBe('ValidationError');
    expect(codeOf(() => forward([1000]))).toBe('ValidationError');
    expect(codeOf(() => forward([1, 1, 1, 1, 1, 1]))).toBe('ValidationError');
    const fixed = (statusCode: string) =>
      parseActions(
        [
          {
            type: 'fixed-response',
            targetGroupArn: '',
            order: 0,
            fixedResponseConfig: { statusCode, contentType: '', messageBody: '' },
          },
        ],
        'application',
      );
    expect(fixed('503')).toMatchObject({ contentType: 'text/plain' });
    expect(codeOf(() => fixed('302'))).toBe('ValidationError');
    expect(
      codeOf(() =>
        parseActions([{ type: 'authenticate-oidc', targetGroupArn: '', order: 0 }], 'application'),
      ),
    ).toBe('InvalidLoadBalancerAction');
    expect(
      codeOf(() =>
        parseActions(
          [
            {
              type: 'redirect',
              targetGroupArn: '',
              order: 0,
              redirectConfig: {
                protocol: '',
                port: '',
                host: '',
                path: '',
                query: '',
                statusCode: 'HTTP_301',
              },
            },
          ],
          'application',
        ),
      ),
    ).toBe('ValidationError');
    expect(codeOf(() => parseActions([], 'network'))).toBe('ValidationError');
    expect(
      codeOf(() =>
        parseActions(
          [
            {
              type: 'fixed-response',
              targetGroupArn: '',
              order: 0,
              fixedResponseConfig: { statusCode: '200', contentType: '', messageBody: '' },
            },
          ],
          'network',
        ),
      ),
    ).toBe('InvalidLoadBalancerAction');
  });
});

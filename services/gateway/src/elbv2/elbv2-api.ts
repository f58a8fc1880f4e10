import { type QueryApi, queryAuthErrors } from '../query/query-api.js';
import { elbv2Actions } from './elbv2-actions.js';

export const elbv2Api: QueryApi = {
  signingName: 'elasticloadbalancing',
  version: '2015-12-01',
  namespace: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
  errorFormat: 'error-response',
  style: 'query',
  actions: new Map(elbv2Actions.map((entry) => [entry.action, entry])),
  authErrors: queryAuthErrors,
  throttledCode: 'Throttling',
};

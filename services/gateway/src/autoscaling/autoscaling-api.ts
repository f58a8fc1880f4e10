/**
 * The Auto Scaling Query API (2011-01-01): its dialect is served now, its
 * actions come with the autoscaler service; until then every action answers
 * InvalidAction naming it, in Auto Scaling's error format.
 */
import { type QueryApi, queryAuthErrors } from '../query/query-api.js';

export const autoScalingApi: QueryApi = {
  signingName: 'autoscaling',
  version: '2011-01-01',
  namespace: 'http://autoscaling.amazonaws.com/doc/2011-01-01/',
  errorFormat: 'error-response',
  style: 'query',
  actions: new Map(),
  authErrors: queryAuthErrors,
  throttledCode: 'Throttling',
};

import { ec2AuthErrors, type QueryApi } from '../query/query-api.js';
import { ec2Actions } from './ec2-actions.js';

export const ec2Api: QueryApi = {
  signingName: 'ec2',
  version: '2016-11-15',
  namespace: 'http://ec2.amazonaws.com/doc/2016-11-15/',
  errorFormat: 'ec2',
  style: 'ec2',
  actions: new Map(ec2Actions.map((entry) => [entry.action, entry])),
  authErrors: ec2AuthErrors,
  throttledCode: 'RequestLimitExceeded',
};

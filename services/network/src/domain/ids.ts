/** The id prefixes of the network domain's resources. */
export const IdPrefix = {
  vpc: 'vpc',
  subnet: 'subnet',
  networkInterface: 'eni',
  attachment: 'eni-attach',
  securityGroup: 'sg',
  securityGroupRule: 'sgr',
  keyPair: 'key',
  allocation: 'eipalloc',
  association: 'eipassoc',
} as const;

export type IdPrefix = (typeof IdPrefix)[keyof typeof IdPrefix];

export { isId, newId } from '@nimbus/service-kit';

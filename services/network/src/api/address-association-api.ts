/**
 * AssociateAddress and DisassociateAddress. An Elastic IP maps to one private
 * address of an interface (named directly, or as the interface at device index
 * 0 of an instance); the address record and the interface record change in one
 * transaction (state/elastic-ip-associations.ts), re-read and decided again on
 * every lost race, so that of two calls for one address with
 * AllowReassociation=false exactly one wins. Every association is a remap in
 * the month's usage report.
 */
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { EventBus } from '@nimbus/events';
import type { ServiceImpl } from '@nimbus/runtime';
import { createRecords, dryRunOperation, type Stored } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import { tryParseIpv4 } from '../domain/cidr.js';
import { invalidParameterValue, NetworkError, NetworkErrorCode } from '../domain/network-errors.js';
import { missingParameter, notFound, ResourceKinds, requireId } from '../domain/resource-ids.js';
import type { AddressLedger, AddressRecord } from '../state/address-ledger.js';
import { createElasticIpAssociations } from '../state/elastic-ip-associations.js';
import { vpcKeys } from '../state/vpc-keys.js';
import type { NetworkInterfaceRecord } from '../state/vpc-records.js';
import { publishAssociationEvent } from './address-events.js';
import type { PublicIpPool } from './public-ip-pool.js';

type AddressAssociationApi = Pick<
  ServiceImpl<typeof NetworkService>,
  'associateAddress' | 'disassociateAddress'
>;

export interface AddressAssociationDeps {
  store: Store;
  bus: EventBus;
  ledger: AddressLedger;
  pool: PublicIpPool;
  now: () => number;
  /** The account's Elastic IP by allocation id or public address, or EC2's NotFound. */
  findAddress(
    accountId: string,
    request: { allocationId: string; publicIp: string },
  ): Promise<Stored<AddressRecord>>;
}

function eitherOf(first: [string, string], second: [string, string]): void {
  const [firstName, firstValue] = first;
  const [secondName, secondValue] = second;
  if (firstValue === '' && secondValue === '') {
    throw missingParameter(`${firstName} or ${secondName}`);
  }
  if (firstValue !== '' && secondValue !== '') {
    throw new NetworkError(
      NetworkErrorCode.InvalidParameterCombination,
      `You may specify either ${firstName} or ${secondName}, not both`,
    );
  }
}

function alreadyAssociated(address: AddressRecord): NetworkError {
  return new NetworkError(
    NetworkErrorCode.ResourceAlreadyAssociated,
    `resource ${address.allocationId} is already associated with associate-id ${address.association?.associationId}`,
  );
}

export function createAddressAssociationApi(deps: AddressAssociationDeps): AddressAssociationApi {
  const { ledger, pool, now, findAddress } = deps;
  const associations = createElasticIpAssociations(deps.store);
  const interfaces = createRecords<NetworkInterfaceRecord>(deps.store);

  /** The interface named directly, or the one at device index 0 of the instance. */
  const targetInterface = async (
    accountId: string,
    request: { instanceId: string; networkInterfaceId: string },
  ): Promise<Stored<NetworkInterfaceRecord>> => {
    if (request.networkInterfaceId !== '') {
      const eni = await interfaces.get(vpcKeys.networkInterface(accountId, request.networkInterfaceId));
      if (!eni) throw notFound(ResourceKinds.networkInterface, request.networkInterfaceId);
      return eni;
    }
    const primary = (await interfaces.list(vpcKeys.networkInterfaces(accountId))).find(
      (n) => n.value.attachment?.instanceId === request.instanceId && n.value.attachment.deviceIndex === 0,
    );
    if (!primary) throw notFound(ResourceKinds.instance, request.instanceId);
    return primary;
  };

  return {
    async associateAddress(request, context) {
      const { accountId } = context;
      eitherOf(['AllocationId', request.allocationId], ['PublicIp', request.publicIp]);
      eitherOf(['InstanceId', request.instanceId], ['NetworkInterfaceId', request.networkInterfaceId]);
      if (request.instanceId !== '') requireId(ResourceKinds.instance, request.instanceId);
      else requireId(ResourceKinds.networkInterface, request.networkInterfaceId);
      if (request.privateIpAddress !== '' && tryParseIpv4(request.privateIpAddress) === undefined) {
        throw invalidParameterValue(`Invalid private IP address '${request.privateIpAddress}'.`);
      }
      for (;;) {
        const address = await findAddress(accountId, request);
        const eni = await targetInterface(accountId, request);
        const privateIp = request.privateIpAddress || (eni.value.privateIpAddresses[0] ?? '');
        if (!eni.value.privateIpAddresses.includes(privateIp)) {
          throw invalidParameterValue(
            `The private IP address ${privateIp} is not assigned to the network interface ${eni.value.networkInterfaceId}.`,
          );
        }
        const current = address.value.association;
        if (current && request.allowReassociation === false) throw alreadyAssociated(address.value);
        if (request.dryRun) throw dryRunOperation();
        if (
          current?.networkInterfaceId === eni.value.networkInterfaceId &&
          current.privateIpAddress === privateIp
        ) {
          return { associationId: current.associationId };
        }
        const done = await associations.associate({
          address,
          networkInterface: eni,
          privateIpAddress: privateIp,
          now: now(),
        });
        if (!done) continue;
        if (done.releasedPublicIp) pool.noteReleased(done.releasedPublicIp);
        if (current) {
          await publishAssociationEvent(
            deps.bus,
            context,
            'disassociated',
            address.value,
            current,
            done.revision,
          );
        }
        if (done.displaced?.association) {
          const { displaced } = done;
          await publishAssociationEvent(
            deps.bus,
            context,
            'disassociated',
            displaced,
            displaced.association as NonNullable<AddressRecord['association']>,
            done.revision,
          );
        }
        await publishAssociationEvent(
          deps.bus,
          context,
          'associated',
          address.value,
          done.association,
          done.revision,
        );
        return { associationId: done.association.associationId };
      }
    },

    async disassociateAddress(request, context) {
      const { accountId } = context;
      eitherOf(['AssociationId', request.associationId], ['PublicIp', request.publicIp]);
      if (request.associationId !== '') requireId(ResourceKinds.addressAssociation, request.associationId);
      const lookUp = async () => {
        if (request.publicIp !== '')
          return findAddress(accountId, { allocationId: '', publicIp: request.publicIp });
        const record = (await ledger.addresses(accountId)).find(
          (a) => a.association?.associationId === request.associationId,
        );
        return record && ledger.address(accountId, record.allocationId);
      };
      let address = await lookUp();
      if (request.dryRun) throw dryRunOperation();
      for (;;) {
        // Idempotent: an association that is gone (or never was) is disassociated, as asked.
        const association = address?.value.association;
        if (!address || !association) return {};
        if (request.associationId !== '' && association.associationId !== request.associationId) return {};
        const done = await associations.disassociate(address, now());
        if (done) {
          await publishAssociationEvent(
            deps.bus,
            context,
            'disassociated',
            address.value,
            association,
            done.revision,
          );
          return {};
        }
        address = await ledger.address(accountId, address.value.allocationId);
      }
    },
  };
}

/** GatewayAdminService: the operators' API over the account store. */
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { GatewayAdminService } from '@nimbus/api/gen/nimbus/gateway/v1/gateway_admin_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { assembleService } from '@nimbus/service-kit';
import type { AccessKeyStatus, AccessKeyView, AccountRecord, AccountStore } from './account-store.js';

function accountOut(record: AccountRecord) {
  return { ...record, createTime: timestampFromDate(new Date(record.createTime)) };
}

function keyOut(key: AccessKeyView, secretAccessKey = '') {
  return {
    accessKeyId: key.accessKeyId,
    accountId: key.accountId,
    status: key.status,
    createTime: timestampFromDate(new Date(key.createTime)),
    secretAccessKey,
  };
}

export function createAdminApi(accounts: AccountStore): ServiceImpl<typeof GatewayAdminService> {
  return assembleService(GatewayAdminService, {
    async createAccount(request) {
      return { account: accountOut(await accounts.createAccount(request.accountName, request.accountId)) };
    },
    async listAccounts() {
      return { accounts: (await accounts.listAccounts()).map(accountOut) };
    },
    async createAccessKey(request) {
      const key = await accounts.createAccessKey(request.accountId);
      return { accessKey: keyOut(key, key.secretAccessKey) };
    },
    async listAccessKeys(request) {
      return { accessKeys: (await accounts.listAccessKeys(request.accountId)).map((key) => keyOut(key)) };
    },
    async updateAccessKey(request) {
      return {
        accessKey: keyOut(
          await accounts.updateAccessKey(request.accessKeyId, request.status as AccessKeyStatus),
        ),
      };
    },
    async deleteAccessKey(request) {
      await accounts.deleteAccessKey(request.accessKeyId);
      return {};
    },
  });
}

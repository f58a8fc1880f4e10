/**
 * What keeps the edge's table equal to the store: informers on the public
 * addresses (Elastic IPs and auto-assigned), interfaces, security groups and
 * listening ports, all accounts at once, and after every change the whole
 * desired table is derived again (edge-table.ts) and applied when it differs.
 * Level-based like a reconciler: whatever events arrive, the table applied is
 * the one the caches describe, so a restart, a relist after compaction or a
 * burst of changes all end in the same place.
 */
import { Informer, type InformerOptions } from '@nimbus/controller';
import type { KeyValue, Store } from '@nimbus/store';
import { addressKeys } from '../state/address-keys.js';
import type { AddressRecord, InterfacePublicIp } from '../state/address-ledger.js';
import { type ListeningPortsRecord, listeningPortKeys } from '../state/listening-port-keys.js';
import { vpcKeys } from '../state/vpc-keys.js';
import type { NetworkInterfaceRecord, SecurityGroupRecord } from '../state/vpc-records.js';
import type { Edge } from './edge.js';
import type { EdgeMapping } from './edge-mapping.js';
import { desiredEdgeTable } from './edge-table.js';

type Logger = InformerOptions['logger'];

export interface EdgeFeederOptions {
  store: Store;
  edge: Edge;
  logger: Logger;
  /**
   * How long changes are gathered before the table is applied, in
   * milliseconds: a burst (a group with many rules, a remap that touches
   * three records) becomes one apply. Default 50.
   */
  batchMs?: number;
}

export interface EdgeFeeder {
  /** Lists, applies the table, then follows changes until the signal aborts. */
  start(signal: AbortSignal): Promise<void>;
  /** Resolves once every informer listed and the first table was applied. */
  synced(): Promise<void>;
  /** The table last applied. */
  table(): readonly EdgeMapping[];
}

/** A cached record, decoded once per revision. */
function decoder<T>() {
  const decoded = new WeakMap<KeyValue, T | undefined>();
  return (kv: KeyValue | undefined): T | undefined => {
    if (!kv) return undefined;
    if (!decoded.has(kv)) {
      let value: T | undefined;
      try {
        value = JSON.parse(kv.value) as T;
      } catch {
        value = undefined;
      }
      decoded.set(kv, value);
    }
    return decoded.get(kv);
  };
}

/** The prefix of every account's keys of a kind: `<root>/<kind>/` out of `<root>/<kind>/<account>/`. */
const everyAccount = (accountPrefix: string) => accountPrefix.slice(0, -1);

/** `<prefix><account>/<id>` -> account. */
function accountOf(prefix: string, key: string): string {
  return key.slice(prefix.length).split('/')[0] ?? '';
}

export function createEdgeFeeder(options: EdgeFeederOptions): EdgeFeeder {
  const { store, edge, logger } = options;
  const batchMs = options.batchMs ?? 50;
  const informer = (prefix: string) => new Informer({ store, prefix, logger });
  const addresses = informer(everyAccount(addressKeys.addresses('')));
  const interfaceIps = informer(everyAccount(addressKeys.interfacePublicIp('', '')));
  const interfaces = informer(everyAccount(vpcKeys.networkInterfaces('')));
  const groups = informer(everyAccount(vpcKeys.securityGroups('')));
  const ports = informer(listeningPortKeys.all());
  const informers = [addresses, interfaceIps, interfaces, groups, ports];

  const asAddress = decoder<AddressRecord>();
  const asInterfaceIp = decoder<InterfacePublicIp>();
  const asInterface = decoder<NetworkInterfaceRecord>();
  const asGroup = decoder<SecurityGroupRecord>();
  const asPorts = decoder<ListeningPortsRecord>();

  let applied: readonly EdgeMapping[] = [];
  let appliedText = JSON.stringify(applied);
  let timer: NodeJS.Timeout | undefined;
  let applying: Promise<void> = Promise.resolve();
  let stopped = false;
  /** No table before every informer listed: a partial one would drop what is not listed yet. */
  let ready = false;
  let markSynced!: () => void;
  const synced = new Promise<void>((resolve) => {
    markSynced = resolve;
  });

  function desired(): EdgeMapping[] {
    return desiredEdgeTable({
      addresses: addresses.values().flatMap((kv) => asAddress(kv) ?? []),
      interfacePublicIps: interfaceIps.values().flatMap((kv) => {
        const publicIp = asInterfaceIp(kv);
        return publicIp ? [{ ownerId: accountOf(interfaceIps.prefix, kv.key), publicIp }] : [];
      }),
      networkInterface: (ownerId, id) => asInterface(interfaces.get(vpcKeys.networkInterface(ownerId, id))),
      securityGroup: (ownerId, id) => asGroup(groups.get(vpcKeys.securityGroup(ownerId, id))),
      listeningPorts: (instanceId) => asPorts(ports.get(listeningPortKeys.instance(instanceId)))?.ports,
    });
  }

  /** Applies the table the caches describe, one apply at a time; a refused table is logged and kept out. */
  function flush(): Promise<void> {
    timer = undefined;
    applying = applying.then(async () => {
      if (stopped) return;
      const table = desired();
      const text = JSON.stringify(table);
      if (text === appliedText) return;
      try {
        await edge.apply(table);
        applied = table;
        appliedText = text;
      } catch (error) {
        if (!stopped) logger.error({ err: error }, 'edge refused the forwarding table');
      }
    });
    return applying;
  }

  function schedule(): void {
    if (timer || stopped || !ready) return;
    timer = setTimeout(() => void flush(), batchMs);
  }

  return {
    async start(signal) {
      const unsubscribe = informers.map((i) => i.onEvent(schedule));
      const running = informers.map((i) => i.start(signal));
      const onAbort = () => {
        stopped = true;
        clearTimeout(timer);
        timer = undefined;
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      try {
        await Promise.race([
          Promise.all(informers.map((i) => i.synced())).then(async () => {
            ready = true;
            await flush();
            markSynced();
          }),
          new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
        ]);
        await Promise.all(running);
      } finally {
        onAbort();
        for (const stop of unsubscribe) stop();
        await applying;
      }
    },
    synced: () => synced,
    table: () => applied,
  };
}

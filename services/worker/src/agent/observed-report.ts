/** The runtime's observation of an instance as compute's ObservedInstance. */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ObservedInstanceSchema } from '@nimbus/api/gen/nimbus/compute/v1/worker_service_pb';
import type { ConsoleChunk, InstancePhase, ObservedInstance } from '../runtime/instance-runtime.js';

export type ObservedInstanceInit = MessageInitShape<typeof ObservedInstanceSchema>;

/** The instance status check as the worker sees it. */
function instanceStatusOf(phase: InstancePhase): string {
  switch (phase) {
    case 'starting':
      return 'initializing';
    case 'running':
      return 'ok';
    case 'crashed':
      return 'impaired';
    default:
      return '';
  }
}

export interface ActedGenerations {
  /** The generation of the DesiredInstance the worker acted on last. */
  generation: bigint;
  /** The highest reboot generation carried out. */
  rebootGeneration: bigint;
}

export function observedReport(
  observed: ObservedInstance,
  acted: ActedGenerations | undefined,
  console: ConsoleChunk | undefined,
): ObservedInstanceInit {
  const ended = observed.phase === 'exited' || observed.phase === 'crashed';
  const exit = ended ? observed.exit : undefined;
  return {
    instanceId: observed.instanceId,
    generation: acted?.generation ?? 0n,
    phase: observed.phase === 'stopping' ? 'running' : observed.phase,
    pid: observed.pid ?? 0,
    ...(exit?.code !== undefined ? { exitCode: exit.code } : {}),
    exitSignal: exit?.signal ?? '',
    ...(observed.bootedAt ? { startedTime: timestampFromDate(observed.bootedAt) } : {}),
    ...(exit ? { endedTime: timestampFromDate(exit.at) } : {}),
    listeningPorts: observed.listeningPorts,
    cpuPercent: observed.usage?.cpuPercent ?? 0,
    memoryBytes: BigInt(Math.round(observed.usage?.memoryBytes ?? 0)),
    consoleOutput: console?.bytes ?? new Uint8Array(),
    consoleReset: console?.reset ?? false,
    instanceStatus: instanceStatusOf(observed.phase),
    statusMessage: observed.phase === 'crashed' ? (observed.exit?.reason ?? '') : '',
    rebootGeneration: acted?.rebootGeneration ?? 0n,
    limitsEnforced: observed.limits.enforced,
    error: observed.error ?? '',
  };
}

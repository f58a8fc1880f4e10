/**
 * `nimbus wait <waiter> [options]`: polls a Describe verb until its answer is
 * what the waiter waits for, as the AWS CLI's waiters do (`aws ec2 wait
 * instance-running`). The options are the Describe verb's; `--delay` (seconds
 * between attempts, default 1) and `--max-attempts` (default 300) bound the
 * wait. A waiter gives up at once when the answer can no longer turn good
 * (an instance waited for to run that terminated).
 */

/** What one answer means: done, keep polling, or failed for good (with why). */
export type Verdict = { kind: 'done' } | { kind: 'retry' } | { kind: 'failure'; reason: string };

export interface Waiter {
  /** The Describe verb polled. */
  verb: string;
  judge(answer: unknown): Verdict;
}

type Json = Record<string, unknown>;

function instancesOf(answer: unknown): Json[] {
  const reservations = ((answer as Json).reservations as Json[] | undefined) ?? [];
  return reservations.flatMap((r) => (r.instances as Json[] | undefined) ?? []);
}

const stateOf = (instance: Json) =>
  ((instance.state as Json | undefined)?.name as string | undefined) ?? 'pending';

function allInState(wanted: string, hopeless: readonly string[]): Waiter {
  return {
    verb: 'describe-instances',
    judge(answer) {
      const instances = instancesOf(answer);
      const lost = instances.find((i) => hopeless.includes(stateOf(i)));
      if (lost) return { kind: 'failure', reason: `${lost.instanceId as string} is ${stateOf(lost)}` };
      return instances.length > 0 && instances.every((i) => stateOf(i) === wanted)
        ? { kind: 'done' }
        : { kind: 'retry' };
    },
  };
}

function statusOk(check: 'systemStatus' | 'instanceStatus'): Waiter {
  return {
    verb: 'describe-instance-status',
    judge(answer) {
      const statuses = ((answer as Json).instanceStatuses as Json[] | undefined) ?? [];
      const ok = (s: Json) => ((s[check] as Json | undefined)?.status as string | undefined) === 'ok';
      return statuses.length > 0 && statuses.every(ok) ? { kind: 'done' } : { kind: 'retry' };
    },
  };
}

export const waiters: Readonly<Record<string, Waiter>> = {
  'instance-exists': {
    verb: 'describe-instances',
    judge: (answer) => (instancesOf(answer).length > 0 ? { kind: 'done' } : { kind: 'retry' }),
  },
  'instance-running': allInState('running', ['shutting-down', 'terminated', 'stopping']),
  'instance-stopped': allInState('stopped', ['pending', 'terminated']),
  'instance-terminated': allInState('terminated', ['pending', 'stopping']),
  'instance-status-ok': statusOk('instanceStatus'),
  'system-status-ok': statusOk('systemStatus'),
};

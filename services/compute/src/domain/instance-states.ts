/**
 * Instance states with their EC2 codes, and which user actions each allows.
 * The state a user sees is written by the API (the first step of an action)
 * and by the instance controller (the rest); these rules are shared by both.
 */

export type InstanceStateName =
  | 'pending'
  | 'running'
  | 'shutting-down'
  | 'terminated'
  | 'stopping'
  | 'stopped';

export const stateCodes: Readonly<Record<InstanceStateName, number>> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export function instanceState(name: InstanceStateName): { code: number; name: InstanceStateName } {
  return { code: stateCodes[name], name };
}

/**
 * What an action does from a state: `to` a new state, `same` (already there or
 * on the way: answered with the current state, nothing written), or `refuse`
 * (IncorrectInstanceState).
 */
export type ActionOutcome = { kind: 'to'; state: InstanceStateName } | { kind: 'same' } | { kind: 'refuse' };

const to = (state: InstanceStateName): ActionOutcome => ({ kind: 'to', state });
const same: ActionOutcome = { kind: 'same' };
const refuse: ActionOutcome = { kind: 'refuse' };

export function startOutcome(state: InstanceStateName): ActionOutcome {
  if (state === 'stopped') return to('pending');
  if (state === 'pending' || state === 'running') return same;
  return refuse;
}

export function stopOutcome(state: InstanceStateName): ActionOutcome {
  if (state === 'running') return to('stopping');
  if (state === 'stopping' || state === 'stopped') return same;
  return refuse;
}

/** Terminate is allowed from every state; a terminated or terminating instance is answered as it is. */
export function terminateOutcome(state: InstanceStateName): ActionOutcome {
  if (state === 'terminated' || state === 'shutting-down') return same;
  return to('shutting-down');
}

/** Reboot: a running instance restarts in place; a terminated one is ignored; others are refused. */
export function rebootOutcome(state: InstanceStateName): 'reboot' | 'ignore' | 'refuse' {
  if (state === 'running') return 'reboot';
  if (state === 'terminated' || state === 'shutting-down') return 'ignore';
  return 'refuse';
}

/** EC2's "User initiated (YYYY-MM-DD HH:MM:SS GMT)". */
export function userInitiated(at: Date): string {
  const text = at.toISOString();
  return `User initiated (${text.slice(0, 10)} ${text.slice(11, 19)} GMT)`;
}

export const StateReasons = {
  userShutdown: {
    code: 'Client.UserInitiatedShutdown',
    message: 'Client.UserInitiatedShutdown: User initiated shutdown',
  },
  instanceShutdown: {
    code: 'Client.InstanceInitiatedShutdown',
    message: 'Client.InstanceInitiatedShutdown: Instance initiated shutdown',
  },
  internalError: (detail: string) => ({
    code: 'Server.InternalError',
    message: `Server.InternalError: ${detail}`,
  }),
  insufficientCapacity: (detail: string) => ({
    code: 'Server.InsufficientInstanceCapacity',
    message: `Server.InsufficientInstanceCapacity: ${detail}`,
  }),
  pending: { code: 'pending', message: 'pending' },
} as const;

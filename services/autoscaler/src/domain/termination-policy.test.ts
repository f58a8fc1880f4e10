import { describe, expect, it } from 'vitest';
import { chooseVictims, type TerminationCandidate } from './termination-policy.js';
import { zoneForLaunch } from './zone-balance.js';

const hour = 3_600_000;
const now = 10 * hour;

function member(
  id: string,
  zone: string,
  ageMs: number,
  extra: Partial<TerminationCandidate> = {},
): TerminationCandidate {
  return {
    id,
    zone,
    launchedAt: now - ageMs,
    launchTemplateId: 'lt-00000000000000001',
    launchTemplateVersion: 2,
    protectedFromScaleIn: false,
    ...extra,
  };
}

const current = { launchTemplateId: 'lt-00000000000000001', version: 2 };
const ids = (victims: TerminationCandidate[]) => victims.map((v) => v.id);

describe('default termination policy', () => {
  it('takes from the zone with the most instances first, keeping zones balanced', () => {
    const members = [
      member('a1', '1a', 10),
      member('a2', '1a', 20),
      member('a3', '1a', 30),
      member('b1', '1b', 40),
    ];
    const victims = chooseVictims(members, 2, { policies: ['Default'], current, now, random: () => 0 });
    expect(victims.every((v) => v.zone === '1a')).toBe(true);
  });

  it('then the oldest launch template version, before the instance hour', () => {
    const members = [
      member('new', '1a', 50 * 60_000),
      member('old', '1a', 1_000, { launchTemplateVersion: 1 }),
    ];
    expect(ids(chooseVictims(members, 1, { policies: ['Default'], current, now }))).toEqual(['old']);
  });

  it('then the instance closest to its next instance hour', () => {
    const members = [member('fresh', '1a', 5 * 60_000), member('due', '1a', 58 * 60_000)];
    expect(ids(chooseVictims(members, 1, { policies: ['Default'], current, now }))).toEqual(['due']);
  });

  it('never picks a protected instance, unless the group is being deleted', () => {
    const members = [
      member('kept', '1a', 58 * 60_000, { protectedFromScaleIn: true }),
      member('b', '1b', 1_000),
    ];
    expect(ids(chooseVictims(members, 2, { policies: ['Default'], current, now }))).toEqual(['b']);
    expect(
      ids(chooseVictims(members, 2, { policies: ['Default'], current, now, includeProtected: true })).sort(),
    ).toEqual(['b', 'kept']);
  });
});

describe('named termination policies', () => {
  const members = [
    member('young', '1a', 10 * 60_000),
    member('middle', '1a', 2 * hour + 50 * 60_000),
    member('elder', '1a', 3 * hour),
  ];

  it('OldestInstance and NewestInstance go by launch time', () => {
    expect(ids(chooseVictims(members, 1, { policies: ['OldestInstance'], current, now }))).toEqual(['elder']);
    expect(ids(chooseVictims(members, 1, { policies: ['NewestInstance'], current, now }))).toEqual(['young']);
  });

  it('ClosestToNextInstanceHour goes by the time left in the hour', () => {
    // Left in the current hour: young 50 minutes, middle 10, elder (exactly 3 hours old) a whole hour.
    expect(ids(chooseVictims(members, 1, { policies: ['ClosestToNextInstanceHour'], current, now }))).toEqual(
      ['middle'],
    );
  });
});

describe('zone for a launch', () => {
  it('is the zone with the fewest live instances, in the group order on a tie', () => {
    expect(zoneForLaunch(['1a', '1b'], [])).toBe('1a');
    expect(zoneForLaunch(['1a', '1b'], ['1a'])).toBe('1b');
    expect(zoneForLaunch(['1a', '1b', '1c'], ['1a', '1b', '1b', '1c'])).toBe('1a');
  });
});

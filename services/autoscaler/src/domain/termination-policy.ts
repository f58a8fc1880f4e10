/**
 * Which instances a scale-in terminates, as Auto Scaling chooses them. First
 * the zone: the one with the most instances that are not protected from
 * scale in (so zones stay balanced). Then, within it, the group's termination
 * policies in order, each narrowing the candidates, and Default last:
 *
 * - OldestLaunchTemplate: instances not on the group's current template and
 *   version, then the lowest version;
 * - ClosestToNextInstanceHour: the least time left in the current instance hour;
 * - OldestInstance / NewestInstance: by launch time;
 * - Default: OldestLaunchTemplate, then ClosestToNextInstanceHour, then random.
 */
import { validationError } from './autoscaling-errors.js';

export const terminationPolicyNames = [
  'Default',
  'OldestInstance',
  'NewestInstance',
  'OldestLaunchTemplate',
  'OldestLaunchConfiguration',
  'ClosestToNextInstanceHour',
  'AllocationStrategy',
] as const;

export interface TerminationCandidate {
  id: string;
  zone: string;
  launchedAt: number;
  launchTemplateId: string;
  launchTemplateVersion: number;
  protectedFromScaleIn: boolean;
}

export interface CurrentTemplate {
  launchTemplateId: string;
  /** The version new instances get now; undefined when it cannot be resolved. */
  version: number | undefined;
}

export function checkTerminationPolicies(policies: readonly string[]): void {
  for (const policy of policies) {
    if (!(terminationPolicyNames as readonly string[]).includes(policy)) {
      throw validationError(`Termination policy '${policy}' is not valid`);
    }
  }
}

const hourMs = 3_600_000;

type Narrow = (candidates: TerminationCandidate[]) => TerminationCandidate[];

function keepMin(candidates: TerminationCandidate[], score: (c: TerminationCandidate) => number) {
  const best = Math.min(...candidates.map(score));
  return candidates.filter((c) => score(c) === best);
}

function narrowing(policy: string, current: CurrentTemplate, now: number, random: () => number): Narrow {
  const oldestTemplate: Narrow = (cs) => {
    const stale = cs.filter(
      (c) => c.launchTemplateId !== current.launchTemplateId || c.launchTemplateVersion !== current.version,
    );
    const pool = stale.length > 0 ? stale : cs;
    return keepMin(pool, (c) =>
      c.launchTemplateId === current.launchTemplateId ? c.launchTemplateVersion : -1,
    );
  };
  const nextHour: Narrow = (cs) => keepMin(cs, (c) => hourMs - ((now - c.launchedAt) % hourMs));
  switch (policy) {
    case 'OldestInstance':
      return (cs) => keepMin(cs, (c) => c.launchedAt);
    case 'NewestInstance':
      return (cs) => keepMin(cs, (c) => -c.launchedAt);
    case 'OldestLaunchTemplate':
    case 'OldestLaunchConfiguration':
      return oldestTemplate;
    case 'ClosestToNextInstanceHour':
      return nextHour;
    default:
      return (cs) => {
        const narrowed = nextHour(oldestTemplate(cs));
        return [narrowed[Math.floor(random() * narrowed.length)] as TerminationCandidate];
      };
  }
}

/**
 * Up to `count` instances to terminate, one at a time (the zones are counted
 * again after each pick). Protected instances are never chosen unless
 * `includeProtected` (a group being deleted).
 */
export function chooseVictims(
  members: readonly TerminationCandidate[],
  count: number,
  options: {
    policies: readonly string[];
    current: CurrentTemplate;
    now: number;
    random?: () => number;
    includeProtected?: boolean;
  },
): TerminationCandidate[] {
  const random = options.random ?? Math.random;
  const chosen: TerminationCandidate[] = [];
  let remaining = [...members];
  const policies = [...options.policies.filter((p) => p !== 'Default'), 'Default'];
  while (chosen.length < count) {
    const eligible = remaining.filter((m) => options.includeProtected || !m.protectedFromScaleIn);
    if (eligible.length === 0) break;
    const perZone = new Map<string, number>();
    for (const m of remaining) perZone.set(m.zone, (perZone.get(m.zone) ?? 0) + 1);
    const most = Math.max(...eligible.map((m) => perZone.get(m.zone) ?? 0));
    let candidates = eligible.filter((m) => perZone.get(m.zone) === most);
    for (const policy of policies) {
      candidates = narrowing(policy, options.current, options.now, random)(candidates);
      if (candidates.length === 1) break;
    }
    const victim = candidates[0] as TerminationCandidate;
    chosen.push(victim);
    remaining = remaining.filter((m) => m !== victim);
  }
  return chosen;
}

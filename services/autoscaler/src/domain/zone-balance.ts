/**
 * Where a group's next instance goes: the zone with the fewest live
 * instances, ties broken by the order the group lists its zones, so that a
 * group of N over Z zones holds N/Z in each (give or take one).
 */
export function zoneForLaunch(zones: readonly string[], liveZones: readonly string[]): string {
  if (zones.length === 0) throw new Error('a group has at least one zone');
  const counts = new Map(zones.map((zone) => [zone, 0]));
  for (const zone of liveZones) if (counts.has(zone)) counts.set(zone, (counts.get(zone) ?? 0) + 1);
  let best = zones[0] as string;
  for (const zone of zones) if ((counts.get(zone) ?? 0) < (counts.get(best) ?? 0)) best = zone;
  return best;
}

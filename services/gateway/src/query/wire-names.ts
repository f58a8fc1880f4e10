/**
 * The names fields have on the wire of the EC2 Query protocol, derived from
 * the proto fields (which carry the EC2 names in snake_case) by EC2's own
 * habits, with the exceptions EC2 makes listed per message:
 *
 * - request: `PascalCase`, a list named in the singular with 1-based
 *   indexes (`volume_ids` -> `VolumeId.1`, `filters` -> `Filter.1.Name`);
 * - response: `lowerCamelCase`, a list as `<singularSet><item>…</item></singularSet>`
 *   (`volumes` -> `volumeSet`, `tags` -> `tagSet`).
 *
 * The other Query APIs (ELBv2, Auto Scaling: the `query` style) name fields
 * in PascalCase both ways, lists as `Name.member.1` and `<Name><member>…</member></Name>`.
 *
 * The exceptions were read off the AWS SDKs' models; the wire-names tests
 * check every mapped action against them.
 */
import type { DescField, DescMessage } from '@bufbuild/protobuf';

/** EC2's dialect of the Query protocol, or the one of the other Query APIs. */
export type WireStyle = 'ec2' | 'query';

/** Request names that do not follow the rule, by message type name, then proto field name. */
const requestExceptions: Record<string, Record<string, string>> = {
  'nimbus.common.v1.PageRequest': {},
};

/** Response names that do not follow the rule, by message type name, then proto field name. */
const responseExceptions: Record<string, Record<string, string>> = {};

/** Adds exceptions (used by the action tables, which know their messages). */
export function nameExceptions(
  direction: 'request' | 'response',
  typeName: string,
  names: Record<string, string>,
): void {
  const table = direction === 'request' ? requestExceptions : responseExceptions;
  table[typeName] = { ...table[typeName], ...names };
}

const irregularSingulars: Record<string, string> = {
  addresses: 'address',
  statuses: 'status',
  aliases: 'alias',
  processes: 'process',
};

export function singular(word: string): string {
  const irregular = irregularSingulars[word];
  if (irregular) return irregular;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

function words(protoName: string): string[] {
  return protoName.split('_');
}

function pascal(parts: string[]): string {
  return parts
    .map((part) => (part === 'ids' ? 'Ids' : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('');
}

function camel(parts: string[]): string {
  const text = pascal(parts);
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function withSingularLast(protoName: string): string[] {
  const parts = words(protoName);
  parts[parts.length - 1] = singular(parts[parts.length - 1] as string);
  return parts;
}

/** `VolumeId` for `DescribeVolumesRequest.volume_ids` (then `.1`, `.2`, …). */
export function requestName(message: DescMessage, field: DescField, style: WireStyle = 'ec2'): string {
  const exception = requestExceptions[message.typeName]?.[field.name];
  if (exception) return exception;
  if (style === 'query') return pascal(words(field.name));
  return pascal(field.fieldKind === 'list' ? withSingularLast(field.name) : words(field.name));
}

/** `volumeSet` for `DescribeVolumesResponse.volumes`, `volumeId` for `Volume.volume_id`. */
export function responseName(message: DescMessage, field: DescField, style: WireStyle = 'ec2'): string {
  const exception = responseExceptions[message.typeName]?.[field.name];
  if (exception) return exception;
  if (style === 'query') return pascal(words(field.name));
  return field.fieldKind === 'list' ? `${camel(withSingularLast(field.name))}Set` : camel(words(field.name));
}

/**
 * The AWS SDKs' own models of the Query APIs (the schemas their clients
 * serialize with), walked beside the protos: every field of an action, in
 * both directions, must have the name on the wire the SDK gives that member
 * (its `ec2QueryName` and `xmlName` traits, else its name), wherever the
 * proto field and the SDK member are the same member (same name, case
 * aside), and the same shape (a list, a value EC2 wraps as `Name.Value`, a
 * list of one-member structures). Nimbus-only fields have no SDK member and
 * are not checked. For tests only: the SDK packages are dev dependencies.
 */
import type { DescMessage } from '@bufbuild/protobuf';
import type { QueryAction } from '../query/query-action.js';
import { requestName, responseName, type WireStyle } from '../query/wire-names.js';

type Traits = { ec2QueryName?: string; xmlName?: string };
type SdkSchema = unknown;
interface SdkStruct {
  members: Map<string, { schema: SdkSchema; traits: Traits }>;
}

export function resolve(schema: SdkSchema): SdkSchema {
  return typeof schema === 'function' ? resolve((schema as () => SdkSchema)()) : schema;
}

function member(schema: SdkSchema): { schema: SdkSchema; traits: Traits } {
  if (Array.isArray(schema) && schema.length === 2 && typeof schema[1] === 'object') {
    return { schema: resolve(schema[0]), traits: schema[1] as Traits };
  }
  if (Array.isArray(schema) && schema.length === 2 && typeof schema[1] === 'number') {
    return { schema: resolve(schema[0]), traits: {} };
  }
  return { schema: resolve(schema), traits: {} };
}

/** A structure schema ([3, ns, name, traits, names, members]) as a map of members. */
function struct(schema: SdkSchema): SdkStruct | undefined {
  const s = resolve(schema);
  if (!Array.isArray(s) || s[0] !== 3) return undefined;
  const names = s[4] as string[];
  const members = s[5] as SdkSchema[];
  return { members: new Map(names.map((name, i) => [name, member(members[i])])) };
}

/** The element schema of a list ([1, ns, name, traits, member]), else the schema itself. */
function elementOf(schema: SdkSchema): SdkSchema {
  const s = resolve(schema);
  return Array.isArray(s) && s[0] === 1 ? member(s[4]).schema : s;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

type Direction = 'request' | 'response';

function compare(
  style: WireStyle,
  desc: DescMessage,
  schema: SdkSchema,
  direction: Direction,
  path: string,
  out: string[],
  seen: Set<string>,
): void {
  const sdkStruct = struct(schema);
  if (!sdkStruct) return;
  const key = `${direction}:${desc.typeName}`;
  if (seen.has(key)) return;
  seen.add(key);
  for (const field of desc.fields) {
    // Matched without regard to case: the proto's `size_in_mib` is the SDK's SizeInMiB.
    const sdkName = [...sdkStruct.members.keys()].find(
      (name) => name.toLowerCase() === field.localName.toLowerCase(),
    );
    const sdkMember = sdkName === undefined ? undefined : sdkStruct.members.get(sdkName);
    if (!sdkMember) {
      continue;
    }
    const { traits } = sdkMember;
    let wanted =
      direction === 'request'
        ? (traits.ec2QueryName ?? (traits.xmlName ? capitalized(traits.xmlName) : (sdkName as string)))
        : (traits.xmlName ?? (sdkName as string));
    // EC2 wraps some scalars in a structure of one member (AttributeBooleanValue: `Name.Value`).
    const wrapped = field.fieldKind === 'scalar' && struct(sdkMember.schema)?.members.has('Value');
    if (wrapped && direction === 'request') wanted = `${wanted}.Value`;
    if (wrapped && direction === 'response') wanted = `${wanted}/value`;
    const sdkType = resolve(sdkMember.schema);
    // A list of values where EC2 has a list of one-member structures.
    const itemStruct =
      field.fieldKind === 'list' && field.listKind !== 'message' ? struct(elementOf(sdkType)) : undefined;
    if (itemStruct && itemStruct.members.size >= 1) {
      const proto = [...itemStruct.members.entries()].find(
        ([name]) => name !== 'Value' || itemStruct.members.size === 1,
      );
      const [memberName, { traits: itemTraits }] = proto as [string, { traits: Traits }];
      wanted =
        direction === 'request'
          ? `${wanted}.{n}.${itemTraits.ec2QueryName ?? (itemTraits.xmlName ? capitalized(itemTraits.xmlName) : memberName)}`
          : `${wanted}/${itemTraits.xmlName ?? memberName}`;
    }
    // A list is [1, …], or a number with the list bit (64) for lists of simple values.
    const sdkIsList = Array.isArray(sdkType)
      ? sdkType[0] === 1
      : typeof sdkType === 'number' && (sdkType & 64) !== 0;
    if ((field.fieldKind === 'list') !== sdkIsList) {
      out.push(`${path}.${field.name} (${desc.typeName}): a list on one side only`);
    }
    const ours = direction === 'request' ? requestName(desc, field, style) : responseName(desc, field, style);
    if (ours !== wanted) out.push(`${path}.${field.name} (${desc.typeName}): ours ${ours}, SDK ${wanted}`);
    const nested =
      field.fieldKind === 'message'
        ? field.message
        : field.fieldKind === 'list' && field.listKind === 'message'
          ? field.message
          : undefined;
    if (nested)
      compare(style, nested, elementOf(sdkMember.schema), direction, `${path}.${field.name}`, out, seen);
  }
}

/**
 * The differences between an action's proto messages and the SDK's operation
 * schema (`sdk[Action$]`: [9, namespace, name, traits, input, output]).
 */
export function wireNameMismatches(
  style: WireStyle,
  entry: QueryAction,
  sdk: Record<string, unknown>,
): string[] {
  const operation = resolve(sdk[`${entry.action}$`]) as SdkSchema[] | undefined;
  if (!operation) return [`the SDK has no operation ${entry.action}`];
  const [, , , , input, output] = operation;
  const mismatches: string[] = [];
  compare(style, entry.method.input, input, 'request', entry.action, mismatches, new Set());
  if (entry.flatten) {
    const field = entry.method.output.fields.find((f) => f.localName === entry.flatten);
    if (field?.fieldKind !== 'message') return [`${entry.action}: no message field ${entry.flatten}`];
    compare(style, field.message, output, 'response', entry.action, mismatches, new Set());
  } else {
    compare(style, entry.method.output, output, 'response', entry.action, mismatches, new Set());
  }
  return mismatches;
}

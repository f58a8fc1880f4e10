/**
 * Query parameters to a gRPC request, by reflection over the request's proto
 * descriptor: a scalar field reads `Name`, a message field `Name.Member`, a
 * list `Name.1`, `Name.2`… (or `Name.1.Member` for lists of messages), with
 * the names of wire-names.ts. Every parameter must be consumed: one no field
 * takes is UnknownParameter, as EC2 answers it.
 */
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { invalidParameterValue, QueryError } from './query-error.js';
import type { QueryParams } from './query-params.js';
import { requestName, type WireStyle } from './wire-names.js';

/** Parameters every Query request may carry besides the action's own. */
const envelope = new Set([
  'Action',
  'Version',
  'AWSAccessKeyId',
  'SignatureMethod',
  'SignatureVersion',
  'Timestamp',
]);

const int32Range = { min: -(2 ** 31), max: 2 ** 31 - 1 };

function scalar(type: ScalarType, name: string, text: string): unknown {
  switch (type) {
    case ScalarType.STRING:
      return text;
    case ScalarType.BOOL:
      if (text === 'true' || text === 'false') return text === 'true';
      throw invalidParameterValue(name, text, 'Expected true or false.');
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
    case ScalarType.UINT32:
    case ScalarType.FIXED32: {
      const value = Number(text);
      if (!/^-?\d+$/.test(text) || value < int32Range.min || value > int32Range.max) {
        throw invalidParameterValue(name, text, 'Expected an integer.');
      }
      return value;
    }
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      if (!/^-?\d+$/.test(text)) throw invalidParameterValue(name, text, 'Expected an integer.');
      return BigInt(text);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT: {
      const value = Number(text);
      if (text.trim() === '' || Number.isNaN(value))
        throw invalidParameterValue(name, text, 'Expected a number.');
      return value;
    }
    case ScalarType.BYTES:
      return Buffer.from(text, 'base64');
  }
}

class Decoder {
  readonly consumed = new Set<string>();
  /** The distinct first segments after each `prefix.` seen, for list indexes. */
  private readonly keys: string[];

  constructor(
    private readonly params: QueryParams,
    /** EC2 numbers list items `Name.1`; the other Query APIs `Name.member.1`. */
    private readonly style: WireStyle,
  ) {
    this.keys = [...params.keys()];
  }

  take(key: string): string | undefined {
    const value = this.params.get(key);
    if (value !== undefined) this.consumed.add(key);
    return value;
  }

  hasUnder(prefix: string): boolean {
    return this.keys.some((key) => key.startsWith(prefix));
  }

  indexesUnder(prefix: string): number[] {
    const indexes = new Set<number>();
    for (const key of this.keys) {
      if (!key.startsWith(prefix)) continue;
      const segment = key.slice(prefix.length).split('.')[0] as string;
      if (/^[1-9]\d{0,4}$/.test(segment)) indexes.add(Number(segment));
    }
    return [...indexes].sort((a, b) => a - b);
  }

  value(field: DescField, key: string): unknown {
    if (field.fieldKind === 'scalar') {
      const text = this.take(key);
      return text === undefined ? undefined : scalar(field.scalar, key, text);
    }
    if (field.fieldKind === 'enum') {
      const text = this.take(key);
      if (text === undefined) return undefined;
      const value = field.enum.values.find((v) => v.localName === text || v.name === text);
      if (!value)
        throw invalidParameterValue(
          key,
          text,
          `Expected one of ${field.enum.values.map((v) => v.localName).join(', ')}.`,
        );
      return value.number;
    }
    if (field.fieldKind === 'message') {
      if (field.message.typeName === 'google.protobuf.Timestamp') {
        const text = this.take(key);
        if (text === undefined) return undefined;
        const time = Date.parse(text);
        if (Number.isNaN(time)) throw invalidParameterValue(key, text, 'Expected an ISO 8601 date and time.');
        return timestampFromDate(new Date(time));
      }
      return this.hasUnder(`${key}.`) ? this.message(field.message, `${key}.`) : undefined;
    }
    if (field.fieldKind === 'list') {
      // `Name.{n}.Member`: EC2 sends each item of this list inside a structure of one member.
      const [name, itemSuffix = ''] = key.split('.{n}') as [string, string?];
      const listKey = this.style === 'query' ? `${name}.member` : name;
      const indexes = this.indexesUnder(`${listKey}.`);
      if (indexes.length === 0) return undefined;
      return indexes.map((index) => {
        const itemKey = `${listKey}.${index}${itemSuffix}`;
        if (field.listKind === 'message') return this.message(field.message, `${itemKey}.`);
        const text = this.take(itemKey);
        if (text === undefined)
          throw new QueryError('InvalidParameterValue', `The parameter ${itemKey} has no value.`);
        if (field.listKind === 'enum') return text;
        return scalar(field.scalar, itemKey, text);
      });
    }
    return undefined;
  }

  message(desc: DescMessage, prefix: string): Record<string, unknown> {
    const init: Record<string, unknown> = {};
    for (const field of desc.fields) {
      const value = this.value(field, `${prefix}${requestName(desc, field, this.style)}`);
      if (value !== undefined) init[field.localName] = value;
    }
    return init;
  }
}

/** The request message (as an init object) of `desc` from the parameters. */
export function decodeRequest(
  desc: DescMessage,
  params: QueryParams,
  ignored: readonly string[] = [],
  style: WireStyle = 'ec2',
): Record<string, unknown> {
  const decoder = new Decoder(params, style);
  const init = decoder.message(desc, '');
  const unknown = [...params.keys()].filter(
    (key) => !decoder.consumed.has(key) && !envelope.has(key) && !ignored.includes(key),
  );
  if (unknown.length > 0) {
    throw new QueryError('UnknownParameter', `The parameter ${unknown[0]} is not recognized`);
  }
  return init;
}

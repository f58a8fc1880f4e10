/**
 * gRPC responses to EC2 Query XML, by reflection over the response's proto
 * descriptor: each set field becomes an element named as wire-names.ts says,
 * lists become `<nameSet><item>…</item></nameSet>`, timestamps ISO 8601.
 * Empty strings and unset messages are left out (EC2 omits what a resource
 * does not have); numbers and booleans are always written.
 */
import type { DescField, DescMessage } from '@bufbuild/protobuf';
import { type Timestamp, timestampDate } from '@bufbuild/protobuf/wkt';
import { responseName } from './wire-names.js';

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c] as string);
}

function scalarText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Uint8Array)
    return value.length === 0 ? undefined : Buffer.from(value).toString('base64');
  const text = String(value);
  return typeof value === 'string' && text === '' ? undefined : escapeXml(text);
}

function element(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

type Shape = Record<string, unknown>;

function fieldXml(desc: DescMessage, field: DescField, value: unknown): string {
  // `outer/inner`: EC2 wraps the value (or each item of a list) in one more element.
  const [name, inner] = responseName(desc, field).split('/') as [string, string | undefined];
  const wrap = (text: string) => (inner ? element(inner, text) : text);
  switch (field.fieldKind) {
    case 'scalar': {
      const text = scalarText(value);
      return text === undefined ? '' : element(name, wrap(text));
    }
    case 'enum': {
      const enumValue = field.enum.values.find((v) => v.number === value);
      return enumValue ? element(name, escapeXml(enumValue.localName)) : '';
    }
    case 'message':
      if (value === undefined) return '';
      if (field.message.typeName === 'google.protobuf.Timestamp') {
        return element(name, timestampDate(value as Timestamp).toISOString());
      }
      return element(name, messageXml(field.message, value as Shape));
    case 'list': {
      const items = value as unknown[];
      if (items.length === 0) return '';
      const xml = items
        .map((item) =>
          element(
            'item',
            field.listKind === 'message'
              ? messageXml(field.message, item as Shape)
              : wrap(scalarText(item) ?? ''),
          ),
        )
        .join('');
      return element(name, xml);
    }
    case 'map':
      return '';
  }
}

/** The elements of a message's set fields, in field order. */
export function messageXml(desc: DescMessage, message: Shape): string {
  let xml = '';
  for (const field of desc.fields) xml += fieldXml(desc, field, message[field.localName]);
  return xml;
}

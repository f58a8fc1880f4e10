/**
 * gRPC responses to EC2 Query XML, by reflection over the response's proto
 * descriptor: each set field becomes an element named as wire-names.ts says,
 * lists become `<nameSet><item>…</item></nameSet>`, timestamps ISO 8601.
 * Empty strings and unset messages are left out (EC2 omits what a resource
 * does not have); numbers and booleans are always written.
 */
import type { DescField, DescMessage } from '@bufbuild/protobuf';
import { type Timestamp, timestampDate } from '@bufbuild/protobuf/wkt';
import { responseName, type WireStyle } from './wire-names.js';

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

const special = /[&<>"']/;

export function escapeXml(text: string): string {
  return special.test(text) ? text.replace(/[&<>"']/g, (c) => escapes[c] as string) : text;
}

function scalarText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Uint8Array)
    return value.length === 0 ? undefined : Buffer.from(value).toString('base64');
  const text = String(value);
  return typeof value === 'string' && text === '' ? undefined : escapeXml(text);
}

type Shape = Record<string, unknown>;

/** How one field is written, worked out once per field (names are the costly part). */
interface FieldPlan {
  field: DescField;
  localName: string;
  open: string;
  close: string;
  /** `outer/inner`: EC2 wraps the value (or each item of a list) in one more element. */
  innerOpen: string;
  innerClose: string;
  /** `<item>` (EC2) or `<member>` (the other Query APIs). */
  item: string;
  style: WireStyle;
}

const plans = {
  ec2: new WeakMap<DescMessage, FieldPlan[]>(),
  query: new WeakMap<DescMessage, FieldPlan[]>(),
};

function planOf(desc: DescMessage, style: WireStyle): FieldPlan[] {
  let plan = plans[style].get(desc);
  if (!plan) {
    plan = desc.fields.map((field) => {
      const [name, inner] = responseName(desc, field, style).split('/') as [string, string | undefined];
      return {
        field,
        style,
        item: style === 'ec2' ? 'item' : 'member',
        localName: field.localName,
        open: `<${name}>`,
        close: `</${name}>`,
        innerOpen: inner ? `<${inner}>` : '',
        innerClose: inner ? `</${inner}>` : '',
      };
    });
    plans[style].set(desc, plan);
  }
  return plan;
}

function fieldXml(plan: FieldPlan, value: unknown, top: boolean): string {
  const { field, open, close, innerOpen, innerClose, item: itemName, style } = plan;
  switch (field.fieldKind) {
    case 'scalar': {
      const text = scalarText(value);
      return text === undefined ? '' : open + innerOpen + text + innerClose + close;
    }
    case 'enum': {
      const enumValue = field.enum.values.find((v) => v.number === value);
      return enumValue ? open + escapeXml(enumValue.localName) + close : '';
    }
    case 'message':
      if (value === undefined) return '';
      if (field.message.typeName === 'google.protobuf.Timestamp') {
        return open + timestampDate(value as Timestamp).toISOString() + close;
      }
      return open + messageXml(field.message, value as Shape, false, style) + close;
    case 'list': {
      const items = value as unknown[];
      // An answer's own lists are written even when empty (`<volumeSet/>`), as EC2 does,
      // so that SDKs give [] rather than nothing; nested empty lists are left out.
      if (items.length === 0) return top ? `${open.slice(0, -1)}/>` : '';
      let xml = open;
      for (const item of items) {
        xml +=
          field.listKind === 'message'
            ? `<${itemName}>${messageXml(field.message, item as Shape, false, style)}</${itemName}>`
            : `<${itemName}>${innerOpen}${scalarText(item) ?? ''}${innerClose}</${itemName}>`;
      }
      return xml + close;
    }
    case 'map':
      return '';
  }
}

/** The elements of a message's set fields, in field order. */
export function messageXml(desc: DescMessage, message: Shape, top = false, style: WireStyle = 'ec2'): string {
  let xml = '';
  for (const plan of planOf(desc, style)) xml += fieldXml(plan, message[plan.localName], top);
  return xml;
}

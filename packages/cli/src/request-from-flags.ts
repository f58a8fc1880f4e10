/**
 * Builds a request message from command-line flags, driven only by the
 * method's input descriptor, so every RPC of every service gets its verb with
 * no per-method code. Flag names are the proto field names in kebab-case
 * (`instance_ids` → `--instance-ids`). Message values take the aws-cli
 * shorthand `Name=tag:env,Values=prod,test` or JSON; `--cli-input-json`
 * gives the whole request as JSON (or `file://request.json`).
 */
import { readFileSync } from 'node:fs';
import { type DescField, type DescMessage, fromJson, type JsonValue, ScalarType } from '@bufbuild/protobuf';
import { type ParsedArgs, UsageError } from './parse-args.js';

export function flagName(field: DescField): string {
  return field.name.replaceAll('_', '-');
}

/** Field lookup that accepts the proto name, the JSON name and aws-style PascalCase. */
function findField(message: DescMessage, key: string): DescField | undefined {
  const wanted = key.replaceAll(/[-_]/g, '').toLowerCase();
  return message.fields.find((f) => f.name.replaceAll('_', '').toLowerCase() === wanted);
}

function scalarJson(type: ScalarType, word: string, what: string): JsonValue {
  switch (type) {
    case ScalarType.BOOL:
      if (word === 'true' || word === 'false') return word === 'true';
      throw new UsageError(`${what} must be true or false, not '${word}'`);
    case ScalarType.INT32:
    case ScalarType.UINT32:
    case ScalarType.SINT32:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT: {
      const value = Number(word);
      if (word.trim() === '' || Number.isNaN(value))
        throw new UsageError(`${what} must be a number, not '${word}'`);
      return value;
    }
    default:
      // 64-bit integers, strings and bytes travel as JSON strings.
      return word;
  }
}

/** Parses `Key=v,Other=a,b` into a JSON object for `message`; a word without `=` continues the previous key's list. */
function shorthand(message: DescMessage, text: string): Record<string, JsonValue> {
  const pairs: [DescField, string[]][] = [];
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) {
      const last = pairs.at(-1);
      if (!last) throw new UsageError(`cannot read '${text}': expected Key=Value`);
      last[1].push(part);
      continue;
    }
    const key = part.slice(0, eq);
    const field = findField(message, key);
    if (!field) {
      const known = message.fields.map((f) => f.name).join(', ');
      throw new UsageError(`${message.name} has no field '${key}' (fields: ${known})`);
    }
    pairs.push([field, [part.slice(eq + 1)]]);
  }
  const json: Record<string, JsonValue> = {};
  for (const [field, words] of pairs) json[field.jsonName] = fieldJson(field, words);
  return json;
}

function messageJson(message: DescMessage, word: string): JsonValue {
  const trimmed = word.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return JSON.parse(trimmed) as JsonValue;
  return shorthand(message, word);
}

function fieldJson(field: DescField, words: string[]): JsonValue {
  const what = `--${flagName(field)}`;
  switch (field.fieldKind) {
    case 'scalar':
      return scalarJson(field.scalar, oneWord(words, what), what);
    case 'enum':
      return oneWord(words, what);
    case 'message':
      return messageJson(field.message, oneWord(words, what));
    case 'list':
      if (field.listKind === 'message') {
        return words.flatMap((w) => {
          const value = messageJson(field.message, w);
          return Array.isArray(value) ? value : [value];
        });
      }
      if (field.listKind === 'enum') return words;
      return words.map((w) => scalarJson(field.scalar, w, what));
    case 'map': {
      const json: Record<string, JsonValue> = {};
      for (const word of words.flatMap((w) => w.split(','))) {
        const eq = word.indexOf('=');
        if (eq === -1) throw new UsageError(`${what} takes key=value pairs`);
        json[word.slice(0, eq)] = word.slice(eq + 1);
      }
      return json;
    }
  }
}

function oneWord(words: string[], what: string): string {
  if (words.length === 0) return 'true';
  if (words.length > 1) throw new UsageError(`${what} takes one value, got ${words.length}`);
  return words[0] as string;
}

function readInputJson(value: string): Record<string, JsonValue> {
  const text = value.startsWith('file://') ? readFileSync(value.slice('file://'.length), 'utf8') : value;
  return JSON.parse(text) as Record<string, JsonValue>;
}

/** The request as protobuf JSON, ready for `fromJson(schema, ...)`. */
export function requestJson(input: DescMessage, args: ParsedArgs): Record<string, JsonValue> {
  const json: Record<string, JsonValue> = {};
  const inputJson = args.flags.get('cli-input-json');
  if (inputJson) Object.assign(json, readInputJson(inputJson.join(' ')));
  for (const [name, words] of args.flags) {
    if (name === 'cli-input-json') continue;
    const field = findField(input, name);
    if (!field) {
      const known = input.fields.map((f) => `--${flagName(f)}`).join(' ');
      throw new UsageError(`unknown option --${name}; this command takes: ${known || 'no options'}`);
    }
    json[field.jsonName] = fieldJson(field, words);
  }
  return json;
}

export function requestFromFlags<D extends DescMessage>(input: D, args: ParsedArgs) {
  try {
    return fromJson(input, requestJson(input, args));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

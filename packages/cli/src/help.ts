import type { DescField, DescMessage } from '@bufbuild/protobuf';
import { flagName } from './request-from-flags.js';
import type { Verb } from './verbs.js';

const GLOBAL_OPTIONS = [
  '--output json|table     how to print the response (default json)',
  '--endpoint-url host:port the service to call (default: from .nimbus/region.json)',
  '--account-id id          the account to act as',
  '--token token            bearer token of that account',
];

function fieldType(field: DescField): string {
  switch (field.fieldKind) {
    case 'scalar':
      return field.scalar === 8 ? 'boolean' : 'value';
    case 'enum':
      return field.enum.values.map((v) => v.name).join('|');
    case 'message':
      return `${field.message.name} (shorthand or JSON)`;
    case 'list':
      return field.listKind === 'message' ? `${field.message.name} ...` : 'value ...';
    case 'map':
      return 'key=value,...';
  }
}

function optionLines(message: DescMessage): string[] {
  return message.fields.map((field) => `  --${flagName(field)}  ${fieldType(field)}`);
}

export function verbHelp(verb: Verb): string {
  return [
    `nimbus ${verb.name}: ${verb.service.typeName}/${verb.method.name}`,
    '',
    'Options:',
    ...optionLines(verb.method.input),
    '  --cli-input-json  the whole request as JSON, or file://path',
    '',
    'Global options:',
    ...GLOBAL_OPTIONS.map((line) => `  ${line}`),
  ].join('\n');
}

export function overviewHelp(verbs: Iterable<string>): string {
  const sorted = [...verbs].sort();
  return [
    'usage: nimbus <command> [options]',
    '',
    'Built-in commands:',
    '  status       health of every service of the running region',
    "  events       follow the region's events until Ctrl-C (--subject nimbus.compute.> ..., --from-start)",
    '  wait         wait <waiter> [options]: instance-running, instance-stopped, instance-terminated,',
    '               instance-exists, instance-status-ok, system-status-ok (--delay s, --max-attempts n)',
    '  help         this text; `nimbus <command> --help` for one command',
    '',
    sorted.length > 0 ? 'API commands:' : 'No API commands yet.',
    ...sorted.map((verb) => `  ${verb}`),
    '',
    'Global options:',
    ...GLOBAL_OPTIONS.map((line) => `  ${line}`),
  ].join('\n');
}

/**
 * Verbs come from service descriptors: every unary method of every service
 * the CLI knows becomes `nimbus <kebab-case method name>`, as the AWS CLI
 * names EC2 actions (`DescribeInstances` → `describe-instances`).
 */
import type { DescMethod, DescService } from '@bufbuild/protobuf';

export interface Verb {
  name: string;
  service: DescService;
  method: DescMethod;
}

export function verbName(method: DescMethod): string {
  return method.name.replaceAll(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/g, '-').toLowerCase();
}

export function collectVerbs(services: readonly DescService[]): Map<string, Verb> {
  const verbs = new Map<string, Verb>();
  for (const service of services) {
    for (const method of service.methods) {
      if (method.methodKind !== 'unary') continue;
      const name = verbName(method);
      const clash = verbs.get(name);
      if (clash) {
        throw new Error(`verb ${name} is both ${clash.service.typeName} and ${service.typeName}`);
      }
      verbs.set(name, { name, service, method });
    }
  }
  return verbs;
}

/** Verbs whose name is within two edits of `wanted`, for "did you mean". */
export function similarVerbs(verbs: Iterable<string>, wanted: string): string[] {
  return [...verbs].filter((verb) => editDistance(verb, wanted) <= 2 || verb.includes(wanted)).slice(0, 5);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, (previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

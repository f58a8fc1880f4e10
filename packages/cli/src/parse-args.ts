/**
 * aws-cli-style argument parsing: `nimbus <verb> --flag value [value...]`.
 * A flag takes every following word up to the next `--flag`; a flag with no
 * words is `true` (`--dry-run`), and `--no-x` is `--x false`.
 */
export interface ParsedArgs {
  verb: string | undefined;
  /** Flag name (without dashes) to its words. */
  flags: Map<string, string[]>;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const flags = new Map<string, string[]>();
  let verb: string | undefined;
  let current: string[] | undefined;
  for (const word of argv) {
    if (word.startsWith('--') && word.length > 2) {
      const eq = word.indexOf('=');
      let name = eq === -1 ? word.slice(2) : word.slice(2, eq);
      const words: string[] = eq === -1 ? [] : [word.slice(eq + 1)];
      if (name.startsWith('no-') && eq === -1) {
        name = name.slice(3);
        words.push('false');
      }
      current = flags.get(name) ?? [];
      current.push(...words);
      flags.set(name, current);
    } else if (current) {
      current.push(word);
    } else if (verb === undefined) {
      verb = word;
    } else {
      throw new UsageError(`unexpected argument '${word}'; flags start with --`);
    }
  }
  return { verb, flags };
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Takes a flag out of the map, so that what remains are the request's fields. */
export function takeFlag(args: ParsedArgs, name: string): string | undefined {
  const words = args.flags.get(name);
  if (words === undefined) return undefined;
  args.flags.delete(name);
  if (words.length !== 1) throw new UsageError(`--${name} takes one value`);
  return words[0];
}

import { type ConfigParse, type ConfigValueTypes, configParsers } from './config-parsers.js';

/** One setting: where it comes from, how it parses, and what it is for (quoted when it is wrong). */
export interface ConfigVariable<P extends ConfigParse = ConfigParse> {
  env: string;
  required?: boolean;
  default?: ConfigValueTypes[P];
  /** Default `string`. */
  parse?: P;
  description: string;
}

export type ConfigSpec = Record<string, ConfigVariable>;

type ValueOf<V> = V extends { parse: infer P extends ConfigParse } ? ConfigValueTypes[P] : string;

/** The typed configuration of a spec: a value is optional unless required or defaulted. */
export type ConfigOf<S extends ConfigSpec> = {
  [N in keyof S]: S[N] extends { required: true } | { default: unknown }
    ? ValueOf<S[N]>
    : ValueOf<S[N]> | undefined;
};

export interface ConfigProblem {
  env: string;
  problem: string;
  description: string;
}

/** Every configuration problem at once, so an operator fixes them in one go. */
export class ConfigError extends Error {
  override name = 'ConfigError';

  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      [
        `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
        ...problems.map(({ env, problem, description }) => `  ${env} ${problem}: ${description}`),
      ].join('\n'),
    );
  }
}

/**
 * Reads a service's settings from the environment. An empty variable counts
 * as unset. Throws one ConfigError naming every missing or invalid variable.
 */
export function readConfig<const S extends ConfigSpec>(
  spec: S,
  env: Record<string, string | undefined> = process.env,
): ConfigOf<S> {
  const config: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [name, variable] of Object.entries(spec)) {
    const text = env[variable.env];
    if (text === undefined || text === '') {
      if (variable.default !== undefined) config[name] = variable.default;
      else if (variable.required) {
        problems.push({ env: variable.env, problem: 'is required', description: variable.description });
      }
      continue;
    }
    const parse = variable.parse ?? 'string';
    try {
      config[name] = configParsers[parse](text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      problems.push({
        env: variable.env,
        problem: `${reason}, got '${text}'`,
        description: variable.description,
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as ConfigOf<S>;
}

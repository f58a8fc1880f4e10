/** How an environment variable's text becomes a value; each parser throws a message saying what it expected. */
export interface ConfigValueTypes {
  string: string;
  int: number;
  /** 0-65535; 0 asks for any free port. */
  port: number;
  /** Comma-separated, trimmed, empty items dropped. */
  list: string[];
  /** true/false, 1/0, yes/no, on/off. */
  bool: boolean;
  /** Milliseconds, from `250ms`, `5s`, `2m`, `1h`, or a bare number of milliseconds. */
  duration: number;
}

export type ConfigParse = keyof ConfigValueTypes;

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const truthy = new Set(['true', '1', 'yes', 'on']);
const falsy = new Set(['false', '0', 'no', 'off']);

export const configParsers: { [K in ConfigParse]: (text: string) => ConfigValueTypes[K] } = {
  string: (text) => text,
  int(text) {
    if (!/^[-+]?\d+$/.test(text.trim())) throw new Error('must be an integer');
    return Number.parseInt(text, 10);
  },
  port(text) {
    const port = /^\d+$/.test(text.trim()) ? Number.parseInt(text, 10) : Number.NaN;
    if (!(port >= 0 && port <= 65_535)) throw new Error('must be a port number (0-65535)');
    return port;
  },
  list: (text) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  bool(text) {
    const word = text.trim().toLowerCase();
    if (truthy.has(word)) return true;
    if (falsy.has(word)) return false;
    throw new Error('must be true or false');
  },
  duration(text) {
    const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
    if (!match) throw new Error('must be a duration such as 500ms, 5s, 2m or 1h');
    return Math.round(Number(match[1]) * (durationUnits[match[2] ?? 'ms'] ?? 1));
  },
};

#!/usr/bin/env node
import { runCli } from './cli.js';

// Ctrl-C ends `nimbus events` cleanly (its consumer closed); anything else stops at once, as by default.
const interrupted = new AbortController();
process.once('SIGINT', () => {
  if (process.argv[2] !== 'events') process.exit(130);
  interrupted.abort();
});

const io = {
  stdout: (text: string) => process.stdout.write(`${text}\n`),
  stderr: (text: string) => process.stderr.write(`${text}\n`),
  env: process.env,
  signal: interrupted.signal,
};

runCli(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`nimbus: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 255;
  },
);

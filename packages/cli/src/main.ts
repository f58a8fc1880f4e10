#!/usr/bin/env node
import { runCli } from './cli.js';

const io = {
  stdout: (text: string) => process.stdout.write(`${text}\n`),
  stderr: (text: string) => process.stderr.write(`${text}\n`),
  env: process.env,
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

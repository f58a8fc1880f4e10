export { type CliIo, EXIT_SERVICE_ERROR, EXIT_USAGE, runCli } from './cli.js';
export { type Json, type OutputFormat, render } from './output.js';

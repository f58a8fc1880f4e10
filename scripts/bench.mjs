#!/usr/bin/env node
// `pnpm bench`: runs every bench/*.bench.ts of the workspace (or those whose
// path contains one of the arguments), each in its own process, and gathers
// their results into bench-results/report.json and bench-results/report.md.
// Every figure is a ratio against a baseline measured in the same run.
// A bench script still running after NIMBUS_BENCH_TIMEOUT_S seconds (default
// 180) is stopped and reported as failed, so the whole run stays bounded.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
// Run through tsx (see package.json), so the scoring is the test kit's own, not a copy.
import { goalText, BENCH_RESULT_MARKER as MARKER, score } from '../packages/testkit/src/bench.ts';

const root = new URL('..', import.meta.url).pathname;
const TIMEOUT_MS = Number(process.env.NIMBUS_BENCH_TIMEOUT_S ?? 180) * 1000;

function benchFiles() {
  const files = [];
  for (const group of ['packages', 'services', 'test']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    const dirs = group === 'test' ? ['.'] : readdirSync(groupDir);
    for (const dir of dirs) {
      const benchDir = join(groupDir, dir, 'bench');
      if (!existsSync(benchDir)) continue;
      for (const file of readdirSync(benchDir).sort()) {
        if (file.endsWith('.bench.ts')) files.push(join(benchDir, file));
      }
    }
  }
  const filters = process.argv.slice(2);
  return filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
}

function run(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=nimbus-source', '--import', 'tsx', file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    let timedOut = false;
    // SIGTERM lets the bench stop its etcd or nats-server; SIGKILL if it does not exit soon after.
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`${file.slice(root.length)}: still running after ${TIMEOUT_MS / 1000} s, stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, TIMEOUT_MS);
    // 'close', not 'exit': only then has all of its output been read.
    child.on('close', (code) => {
      clearTimeout(timer);
      const results = out
        .split('\n')
        .filter((line) => line.startsWith(MARKER))
        .map((line) => JSON.parse(line.slice(MARKER.length)));
      resolve({ file, code, timedOut, results });
    });
  });
}

function version(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0].trim();
  } catch {
    return 'not found';
  }
}

const machine = {
  date: new Date().toISOString(),
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  etcd: version('etcd', ['--version']),
  nats: version('nats-server', ['--version']),
};
const runs = [];
for (const file of benchFiles()) {
  console.error(`\n== ${file.slice(root.length)}`);
  runs.push(await run(file));
}
const suites = runs.flatMap((r) =>
  r.results.map((s) => ({ ...s, file: r.file.slice(root.length), figures: s.figures.map(score) })),
);
const failed = runs
  .filter((r) => r.timedOut || r.code !== 0 || r.results.length === 0)
  .map((r) => `${r.file.slice(root.length)}${r.timedOut ? ' (timed out)' : ''}`);
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results/report.json'), JSON.stringify({ machine, suites, failed }, null, 2));
const fmt = (n) => (n === undefined ? '-' : Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2));
const lines = [
  '# Nimbus benchmark report',
  '',
  `${machine.date} · ${machine.cores} cores (${machine.cpu}) · Node ${machine.node} · ${machine.etcd} · ${machine.nats}`,
  '',
  'Each value is the median over its runs; the baseline ran in the same process, alternating with ours.',
  '',
  '| suite | figure | ours | baseline | ratio | runs | goal | met |',
  '|---|---|---|---|---|---|---|---|',
];
for (const s of suites) {
  for (const f of s.figures) {
    lines.push(
      `| ${s.suite} | ${f.name} | ${fmt(f.value)} ${f.unit} | ${f.baseline === undefined ? '-' : `${fmt(f.baseline)} ${f.unit} (${f.baselineName})`} | ${fmt(f.ratio)} | ${s.rounds} | ${goalText(f.goal)} | ${f.pass ? 'yes' : 'NO'} |`,
    );
  }
}
if (failed.length) lines.push('', `Bench scripts that failed: ${failed.join(', ')}`);
writeFileSync(join(root, 'bench-results/report.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
process.exitCode = failed.length ? 1 : 0;

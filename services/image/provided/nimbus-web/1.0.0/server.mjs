/**
 * nimbus-web 1.0.0: the HTTP server of the nimbus-web image, run by its boot
 * command (`exec node ./server.mjs`) in the instance's root volume. Node.js
 * built-ins only.
 *
 *   GET /        200 "nimbus-web 1.0.0 on <instance id> in <zone> (<private ip>)",
 *                or JSON when the request accepts application/json
 *   GET /health  200 "ok"
 *
 * Where: NIMBUS_PRIVATE_IP (default 127.0.0.1), port PORT (default 80).
 * Who it is: the instance metadata service at AWS_EC2_METADATA_SERVICE_ENDPOINT
 * (IMDSv2: a token first, then plain GETs if no token is given), else the
 * NIMBUS_INSTANCE_ID and NIMBUS_AVAILABILITY_ZONE environment variables.
 *
 * Made slow or failing on purpose (for load-balancer and auto-scaling demos)
 * by these settings, each `NAME=value` on a line of its own:
 *
 *   NIMBUS_WEB_DELAY_MS=<ms>        every answer waits that long first
 *   NIMBUS_WEB_FAIL=<status>        / and /health answer that status (true: 500)
 *   NIMBUS_WEB_HEALTH_FAIL=<status> only /health answers that status (true: 500)
 *
 * read from, the later winning:
 *   1. the server's environment;
 *   2. the instance's user data (read once at start), lines such as
 *      `NIMBUS_WEB_FAIL=503` or `export NIMBUS_WEB_DELAY_MS=2000`; a user data
 *      script may carry them, since the shell ignores nothing it runs;
 *   3. the control file `nimbus-web.conf` in the root volume (the server's working
 *      directory; NIMBUS_WEB_CONTROL_FILE names another), read again at every
 *      request: `echo NIMBUS_WEB_FAIL=500 > nimbus-web.conf` breaks the
 *      instance at once, `rm nimbus-web.conf` mends it. `false`, `0` or an
 *      empty value turns a setting off.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const version = '1.0.0';
const settingNames = ['NIMBUS_WEB_DELAY_MS', 'NIMBUS_WEB_FAIL', 'NIMBUS_WEB_HEALTH_FAIL'];
const controlFile = process.env.NIMBUS_WEB_CONTROL_FILE || 'nimbus-web.conf';
const host = process.env.NIMBUS_PRIVATE_IP || '127.0.0.1';
const port = Number(process.env.PORT || 80);

function log(message) {
  process.stdout.write(`[nimbus-web] ${message}\n`);
}

/** The NIMBUS_WEB_* settings of a text of NAME=value lines (comments, `export` and quotes allowed). */
function parseSettings(text) {
  const settings = {};
  for (const raw of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(raw);
    if (!match || !settingNames.includes(match[1])) continue;
    settings[match[1]] = match[2].trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return settings;
}

function fromEnvironment() {
  const settings = {};
  for (const name of settingNames) if (process.env[name] !== undefined) settings[name] = process.env[name];
  return settings;
}

function fromControlFile() {
  try {
    return parseSettings(readFileSync(controlFile, 'utf8'));
  } catch {
    return {};
  }
}

/** A status to fail with, or 0: `true` is 500, a number 400-599 is itself. */
function failureStatus(value) {
  if (value === undefined || value === '' || value === 'false' || value === '0') return 0;
  const status = Number(value);
  return Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500;
}

async function metadata(endpoint) {
  const base = endpoint.endsWith('/') ? endpoint : `${endpoint}/`;
  const signal = () => AbortSignal.timeout(2000);
  let token;
  try {
    const answer = await fetch(new URL('latest/api/token', base), {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '21600' },
      signal: signal(),
    });
    if (answer.ok) token = await answer.text();
  } catch {
    // No token: IMDSv1 GETs below, which a service requiring tokens refuses.
  }
  const get = async (path) => {
    const answer = await fetch(new URL(path, base), {
      headers: token ? { 'X-aws-ec2-metadata-token': token } : {},
      signal: signal(),
    });
    if (answer.status === 404) return undefined;
    if (!answer.ok) throw new Error(`${path}: HTTP ${answer.status}`);
    return answer.text();
  };
  return {
    instanceId: await get('latest/meta-data/instance-id'),
    availabilityZone: await get('latest/meta-data/placement/availability-zone'),
    userData: await get('latest/user-data'),
  };
}

async function identity() {
  const fallback = {
    instanceId: process.env.NIMBUS_INSTANCE_ID || 'unknown',
    availabilityZone: process.env.NIMBUS_AVAILABILITY_ZONE || 'unknown',
    userData: '',
    source: 'environment',
  };
  const endpoint = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  if (!endpoint) return fallback;
  try {
    const found = await metadata(endpoint);
    return {
      instanceId: found.instanceId || fallback.instanceId,
      availabilityZone: found.availabilityZone || fallback.availabilityZone,
      userData: found.userData ?? '',
      source: 'metadata',
    };
  } catch (error) {
    log(`instance metadata unavailable (${error.message}); using the environment`);
    return fallback;
  }
}

const self = await identity();
const fromUserData = parseSettings(self.userData);
const settings = () => ({ ...fromEnvironment(), ...fromUserData, ...fromControlFile() });

function answer(response, status, body, type = 'text/plain; charset=utf-8') {
  response.writeHead(status, {
    'content-type': type,
    'x-nimbus-instance-id': self.instanceId,
    'cache-control': 'no-store',
  });
  response.end(body);
}

const server = createServer(async (request, response) => {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    answer(response, 405, 'only GET and HEAD\n');
    return;
  }
  const path = new URL(request.url ?? '/', 'http://server').pathname;
  const current = settings();
  const delayMs = Number(current.NIMBUS_WEB_DELAY_MS) || 0;
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  const failing = failureStatus(current.NIMBUS_WEB_FAIL);
  if (path === '/health') {
    const status = failing || failureStatus(current.NIMBUS_WEB_HEALTH_FAIL);
    answer(response, status || 200, status ? 'unhealthy\n' : 'ok\n');
    return;
  }
  if (path !== '/') {
    answer(response, 404, 'not found\n');
    return;
  }
  if (failing) {
    answer(response, failing, `nimbus-web on ${self.instanceId} is failing on purpose (NIMBUS_WEB_FAIL)\n`);
    return;
  }
  const facts = {
    instanceId: self.instanceId,
    availabilityZone: self.availabilityZone,
    privateIp: host,
    version,
  };
  if ((request.headers.accept ?? '').includes('application/json')) {
    answer(response, 200, `${JSON.stringify(facts)}\n`, 'application/json');
  } else {
    answer(
      response,
      200,
      `nimbus-web ${version} on ${self.instanceId} in ${self.availabilityZone} (${host})\n`,
    );
  }
});

server.on('error', (error) => {
  log(`cannot listen on ${host}:${port}: ${error.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  log(
    `${version} listening on http://${host}:${port} as ${self.instanceId} in ${self.availabilityZone} (from the ${self.source})`,
  );
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    log(`${signal}: closing`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

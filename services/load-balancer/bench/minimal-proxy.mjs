// The baseline: a minimal node:http pass-through proxy (keep-alive pool,
// round robin, no rules, no health, no metrics). Args: host port target...
import { Agent, createServer, request } from 'node:http';

const [host, port, ...targets] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxFreeSockets: 256 });
const upstreams = targets.map((t) => {
  const [h, p] = t.split(':');
  return { host: h, port: Number(p) };
});
let next = 0;
const server = createServer((req, res) => {
  const target = upstreams[next++ % upstreams.length];
  const out = request(
    { ...target, method: req.method, path: req.url, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', () => {
    res.writeHead(502).end();
  });
  req.pipe(out);
});
server.listen(Number(port), host, () => console.log('ready'));

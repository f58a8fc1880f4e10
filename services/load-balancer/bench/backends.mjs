// Three small HTTP backends on the addresses given as arguments (port 0: any
// free one); prints their ports as JSON once listening.
import { createServer } from 'node:http';

const body = Buffer.from('hello from a backend\n');
const servers = process.argv.slice(2).map((host) => {
  const server = createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
    if (req.url === '/health') {
      res.writeHead(process.env.BACKEND_UNHEALTHY ? 500 : 200, { 'content-length': 0 }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, host, () => resolve(server.address().port)));
});
Promise.all(servers).then((ports) => console.log(JSON.stringify(ports)));

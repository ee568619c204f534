// The --webhook receiver as a process of its own (as an integration's server is another machine's): node:http on
// loopback, answers 204 at once, and reports its count on stdout when asked on stdin.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let received = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(204).end();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.stdin.setEncoding('utf8');
process.stdin.on('data', () => process.stdout.write(`${JSON.stringify({ received })}\n`));
process.stdin.on('end', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});

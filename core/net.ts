import { createServer, isIPv4 } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (the OS picks it), for a process or service started on its own. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Whether a host name (as URL.hostname gives it: IPv6 in brackets) is this
 * machine: `localhost` (and its subdomains, which resolve to it), an IPv4
 * address in 127.0.0.0/8 or ::1. Parsed, never a prefix test: 127.attacker.example is a name like any other.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIPv4(host)) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

import { BlockList, isIP } from 'node:net';

/**
 * This machine, as a socket reports its peer: 127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6
 * (`::ffff:127.0.0.1`, what a dual-stack server sees). Decided from the connection only: a Host header or
 * a URL built from it names whatever the caller wrote (docs/security.md).
 */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

export function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

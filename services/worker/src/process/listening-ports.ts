/**
 * Which ports an instance listens on: the kernel's socket tables
 * (/proc/net/tcp, tcp6, udp, udp6) joined with the socket inodes its
 * processes hold open (/proc/<pid>/fd). The network edge opens wide
 * security-group rules only at these ports.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { ListeningPort } from '../runtime/instance-runtime.js';

interface Socket {
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
}

/** IPv4 in /proc/net is the 32-bit value in host (little-endian) byte order, as hex. */
function ipv4FromHex(hex: string): string {
  const bytes = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return bytes.reverse().join('.');
}

/** An IPv6 entry: all-zero means any address; a v4-mapped one (::ffff:a.b.c.d) is shown as IPv4. */
function ipv6FromHex(hex: string): string {
  if (/^0+$/.test(hex)) return '::';
  if (hex.slice(0, 16) === '0000000000000000' && hex.slice(16, 24).toUpperCase() === '0000FFFF') {
    return ipv4FromHex(hex.slice(24));
  }
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = hex.slice(i, i + 8);
    // Each 32-bit word is in host byte order.
    const b = [6, 4, 2, 0].map((j) => w.slice(j, j + 2)).join('');
    words.push(b.slice(0, 4), b.slice(4, 8));
  }
  return words.map((w) => Number.parseInt(w, 16).toString(16)).join(':');
}

/** Listening sockets by inode from one /proc/net table. */
export function parseSocketTable(text: string, protocol: 'tcp' | 'udp', v6: boolean): Map<string, Socket> {
  const sockets = new Map<string, Socket>();
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    const state = cols[3];
    const inode = cols[9];
    if (!local || !state || !inode || inode === '0') continue;
    // TCP: LISTEN (0A). UDP: an unconnected socket (07) is one that receives from anyone.
    if ((protocol === 'tcp' && state !== '0A') || (protocol === 'udp' && state !== '07')) continue;
    const [ipHex, portHex] = local.split(':');
    if (!ipHex || !portHex) continue;
    const address = v6 ? ipv6FromHex(ipHex) : ipv4FromHex(ipHex);
    sockets.set(inode, {
      protocol,
      address: address === '::' ? '0.0.0.0' : address,
      port: Number.parseInt(portHex, 16),
    });
  }
  return sockets;
}

/** Every listening socket of the host, by inode (read once per sample). */
export async function listeningSockets(): Promise<Map<string, Socket>> {
  const all = new Map<string, Socket>();
  const tables: [string, 'tcp' | 'udp', boolean][] = [
    ['/proc/net/tcp', 'tcp', false],
    ['/proc/net/tcp6', 'tcp', true],
    ['/proc/net/udp', 'udp', false],
    ['/proc/net/udp6', 'udp', true],
  ];
  for (const [path, protocol, v6] of tables) {
    try {
      for (const [inode, socket] of parseSocketTable(await readFile(path, 'utf8'), protocol, v6))
        all.set(inode, socket);
    } catch {
      // A table the host lacks (no IPv6) has no sockets.
    }
  }
  return all;
}

/** The listening ports held by any of `pids`, without duplicates, sorted. */
export async function portsOf(pids: number[], sockets: Map<string, Socket>): Promise<ListeningPort[]> {
  const found = new Map<string, ListeningPort>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      const socket = inode ? sockets.get(inode) : undefined;
      if (socket) found.set(`${socket.protocol}/${socket.address}/${socket.port}`, socket);
    }
  }
  return [...found.values()].sort((a, b) => a.port - b.port || a.address.localeCompare(b.address));
}

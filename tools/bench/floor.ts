// The floor of one client's sequential PUT on a cluster, from its parts on
// this machine: an fdatasync of a small write into a preallocated file (as
// WAL segments are) on the disk of the data dirs, and one peer round trip
// (an HTTP/2 PING between two node processes over loopback h2c, as the peer
// transport runs). The leader sends the entry while its own fsync runs, so
// the PUT waits for max(leader fsync, RTT + follower fsync), which is
// RTT + fsync when both disks are this one; on one member, the fsync alone.
// With 3 or more members every follower gets the entry at the same moment
// and they fsync together on this one disk, which costs more than one fsync
// alone here: the follower fsync of the floor is measured while the other
// followers' processes (fsync-peer.ts) write and fsync too.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { percentile } from './figures.js';
import { track } from './procs.js';

export interface Floor {
  readonly fsyncP50Ms: number;
  readonly fsyncP99Ms: number;
  /** HTTP/2 PING, answered by the peer's HTTP/2 library. */
  readonly pingP50Ms: number;
  readonly pingP99Ms: number;
  /** A 512-byte DATA frame on a long-lived stream echoed by the peer's JavaScript (a raft message and its answer). */
  readonly echoP50Ms: number;
  readonly echoP99Ms: number;
  /**
   * fdatasync while the other followers' processes (members - 2) fsync on the same disk, measured like fsync with
   * 1 or 2 members. Absent from result files of commits before it was measured.
   */
  readonly followerFsyncP50Ms?: number;
  readonly followerFsyncP99Ms?: number;
  /** max(leader fsync, PING RTT + follower fsync), the fsync alone with one member: p50s, in ms. */
  readonly floorMs: number;
}

const WRITE_BYTES = 512;
const FILE_BYTES = 16 * 1024 * 1024;
const MAX_SAMPLES = 20_000;

/** fdatasync latencies (ms, ascending) of `WRITE_BYTES` writes at successive offsets of a preallocated file in `dir`. */
export function fsyncLatencies(dir: string, seconds: number): number[] {
  const path = join(dir, 'fsync-probe');
  const fd = fs.openSync(path, 'w+');
  try {
    const zeros = Buffer.alloc(1024 * 1024);
    for (let pos = 0; pos < FILE_BYTES; pos += zeros.length) fs.writeSync(fd, zeros, 0, zeros.length, pos);
    fs.fsyncSync(fd);
    const data = Buffer.alloc(WRITE_BYTES, 0x61);
    const samples: number[] = [];
    const until = performance.now() + seconds * 1000;
    for (let i = 0; (i < 20 || performance.now() < until) && samples.length < MAX_SAMPLES; i++) {
      const t0 = performance.now();
      fs.writeSync(fd, data, 0, WRITE_BYTES, (i * WRITE_BYTES) % FILE_BYTES);
      fs.fdatasyncSync(fd);
      if (i >= 20) samples.push(performance.now() - t0); // the first few warm the file's metadata up
    }
    return samples.sort((a, b) => a - b);
  } finally {
    fs.closeSync(fd);
    fs.rmSync(path, { force: true });
  }
}

export interface RoundTrips {
  readonly ping: number[];
  readonly echo: number[];
}

/** Round trips (ms, ascending) to a peer-echo.ts process: PINGs, then 512-byte echoes on one stream. */
export async function peerRoundTrips(seconds: number): Promise<RoundTrips> {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const script = new URL(`./peer-echo${ext}`, import.meta.url).pathname;
  const peer = track(spawn(process.execPath, [...process.execArgv, script], { stdio: ['pipe', 'pipe', 'inherit'] }));
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('peer-echo did not report its port within 20 s')), 20_000);
      peer.once('exit', (code) => reject(new Error(`peer-echo exited (${code}) before listening`)));
      createInterface({ input: peer.stdout! }).once('line', (line) => {
        clearTimeout(timer);
        resolve(line.trim());
      });
    });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    try {
      await new Promise<void>((resolve, reject) => {
        session.once('connect', () => resolve());
        session.once('error', reject);
      });
      const ping = () =>
        new Promise<number>((resolve, reject) => {
          session.ping((err, duration) => (err ? reject(err) : resolve(duration)));
        });
      const pings = await sample(ping, seconds / 2);
      const stream = session.request({ ':method': 'POST', ':path': '/echo' }, { endStream: false });
      const data = Buffer.alloc(WRITE_BYTES, 0x62);
      let pending: { need: number; done: () => void } | null = null;
      stream.on('data', (chunk: Buffer) => {
        if (!pending) return;
        pending.need -= chunk.length;
        if (pending.need <= 0) {
          const { done } = pending;
          pending = null;
          done();
        }
      });
      const echo = () =>
        new Promise<number>((resolve) => {
          const t0 = performance.now();
          pending = { need: WRITE_BYTES, done: () => resolve(performance.now() - t0) };
          stream.write(data);
        });
      const echoes = await sample(echo, seconds / 2);
      stream.close();
      return { ping: pings, echo: echoes };
    } finally {
      session.destroy();
    }
  } finally {
    peer.kill('SIGKILL');
  }
}

async function sample(once: () => Promise<number>, seconds: number): Promise<number[]> {
  for (let i = 0; i < 50; i++) await once();
  const out: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until && out.length < MAX_SAMPLES) out.push(await once());
  return out.sort((a, b) => a - b);
}

/** fdatasync latencies (ms, ascending) in `dir` while `others` more processes run the same loop there. */
export async function concurrentFsyncLatencies(dir: string, seconds: number, others: number): Promise<number[]> {
  if (others === 0) return fsyncLatencies(dir, seconds);
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const script = new URL(`./fsync-peer${ext}`, import.meta.url).pathname;
  const peers = [];
  for (let i = 0; i < others; i++) {
    const peerDir = join(dir, `fsync-peer-${i}`);
    fs.mkdirSync(peerDir, { recursive: true });
    // The peers run a little longer than the measurement, whose start they reach later.
    const args = [...process.execArgv, script, peerDir, String(seconds + 1)];
    const peer = track(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] }));
    peers.push({ peer, exited: new Promise<void>((resolve) => peer.once('exit', () => resolve())), peerDir });
  }
  try {
    await new Promise((resolve) => setTimeout(resolve, 500)); // until the peers fill their files and start
    return fsyncLatencies(dir, seconds);
  } finally {
    for (const p of peers) {
      p.peer.kill('SIGKILL');
      await p.exited;
      fs.rmSync(p.peerDir, { recursive: true, force: true });
    }
  }
}

export async function measureFloor(dir: string, members: number, seconds: number): Promise<Floor> {
  const fsyncs = fsyncLatencies(dir, seconds / 3);
  const followerFsyncs = await concurrentFsyncLatencies(dir, seconds / 3, Math.max(0, members - 2));
  const { ping, echo } = await peerRoundTrips(seconds / 3);
  const fsyncP50Ms = percentile(fsyncs, 50);
  const followerFsyncP50Ms = percentile(followerFsyncs, 50);
  const pingP50Ms = percentile(ping, 50);
  return {
    fsyncP50Ms,
    fsyncP99Ms: percentile(fsyncs, 99),
    followerFsyncP50Ms,
    followerFsyncP99Ms: percentile(followerFsyncs, 99),
    pingP50Ms,
    pingP99Ms: percentile(ping, 99),
    echoP50Ms: percentile(echo, 50),
    echoP99Ms: percentile(echo, 99),
    floorMs: members > 1 ? Math.max(fsyncP50Ms, pingP50Ms + followerFsyncP50Ms) : fsyncP50Ms,
  };
}

import { startApi } from './support/clients.js';
import net from 'node:net';
const h = await startApi();
function int(n: number, prefixBits: number, first: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (n < max) return [first | n];
  const out = [first | max]; n -= max;
  while (n >= 128) { out.push((n % 128) + 128); n = Math.floor(n / 128); }
  out.push(n); return out;
}
function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00, ...int(name.length, 7, 0)]), Buffer.from(name, 'latin1'), Buffer.from(int(value.length, 7, 0)), Buffer.from(value, 'latin1')]);
}
function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const hd = Buffer.alloc(9); hd.writeUIntBE(payload.length, 0, 3); hd[3] = type; hd[4] = flags; hd.writeUInt32BE(stream, 5);
  return Buffer.concat([hd, payload]);
}
async function tryIt(total: number, frameSize: number) {
  const block = Buffer.concat([literal(':method', 'GET'), literal(':scheme', 'http'), literal(':path', '/v2/keys/'), literal(':authority', 'x'),
    ...Array.from({ length: Math.ceil(total / 50000) }, (_, i) => literal('x-h' + i, 'c'.repeat(Math.min(50000, total - i * 50000))))]);
  const frames: Buffer[] = [];
  for (let off = 0, first = true; off < block.length; off += frameSize, first = false) {
    const chunk = block.subarray(off, off + frameSize);
    const last = off + frameSize >= block.length;
    frames.push(frame(first ? 1 : 9, (last ? 4 : 0) | (first ? 1 : 0), 1, chunk));
  }
  return new Promise<string>((resolve) => {
    const s = net.connect(h.port, '127.0.0.1', () => {
      s.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(4, 0, 0, Buffer.alloc(0))]));
    });
    let buf = Buffer.alloc(0); let sent = false;
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3); if (buf.length < 9 + len) break;
        const type = buf[3], flags = buf[4], sid = buf.readUInt32BE(5) & 0x7fffffff; const p = buf.subarray(9, 9 + len); buf = buf.subarray(9 + len);
        if (type === 4 && !(flags & 1) && !sent) { sent = true; s.write(frame(4, 1, 0, Buffer.alloc(0))); s.write(Buffer.concat(frames)); }
        if (type === 1 && sid === 1) { resolve(`HEADERS ${frames.length} frames`); s.destroy(); }
        if (type === 3) { resolve(`RST ${p.readUInt32BE(0)}`); s.destroy(); }
        if (type === 7) { resolve(`GOAWAY ${p.readUInt32BE(4)} (${frames.length} frames)`); s.destroy(); }
      }
    });
    s.on('close', () => resolve('closed'));
    s.on('error', () => resolve('error'));
  });
}
for (const [total, fs] of [[200000, 16384], [1000000, 16384], [1000000, 131072], [1048000, 131072], [1060000, 131072]]) console.log(total, fs, await tryIt(total, fs));
await h.close();

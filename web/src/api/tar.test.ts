import { describe, expect, it } from 'vitest';
import { isText, readTar } from './tar';
// An archive as `den templates push` makes it (tarfs.Create: PAX, a long
// name); every byte is ASCII, so ?raw keeps it intact.
import pushed from './testdata/template.tar?raw';

const enc = new TextEncoder();

// header writes a ustar header as Go's archive/tar does.
function header(name: string, size: number, type: string, prefix = ''): Uint8Array {
  const h = new Uint8Array(512);
  h.set(enc.encode(name), 0);
  h.set(enc.encode('0000644\0'), 100);
  h.set(enc.encode(`${size.toString(8).padStart(11, '0')}\0`), 124);
  h.set(enc.encode(type), 156);
  h.set(enc.encode('ustar\0' + '00'), 257);
  h.set(enc.encode(prefix), 345);
  return h;
}

function entry(name: string, body: string, type = '0', prefix = ''): Uint8Array[] {
  const data = enc.encode(body);
  const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
  padded.set(data);
  return [header(name, data.length, type, prefix), padded];
}

function pax(path: string): Uint8Array[] {
  let rec = ` path=${path}\n`;
  let n = rec.length + 2;
  if (String(n).length + rec.length !== n) n = String(n + 1).length + rec.length;
  rec = `${n}${rec}`;
  return entry('PaxHeaders/x', rec, 'x');
}

function tar(...parts: Uint8Array[][]): Uint8Array {
  const all = [...parts.flat(), new Uint8Array(1024)];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of all) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

describe('readTar', () => {
  it('lists files with their contents, long names included', () => {
    const long = `docker/${'d'.repeat(120)}/Dockerfile`;
    const entries = readTar(
      tar(
        entry('docker/', '', '5'),
        entry('den.yaml', 'container:\n  image: debian\n'),
        pax(long),
        entry('docker/ddd/Dockerfile', 'FROM scratch\n'),
        entry('Dockerfile', 'FROM x\n', '0', 'sub'),
      ),
    );
    expect(entries.map((e) => [e.name, e.type, e.size])).toEqual([
      ['docker/', '5', 0],
      ['den.yaml', '0', 27],
      [long, '0', 13],
      ['sub/Dockerfile', '0', 7],
    ]);
    expect(new TextDecoder().decode(entries[1].data)).toBe('container:\n  image: debian\n');
  });

  it('reads an archive that den templates push made', () => {
    const entries = readTar(new TextEncoder().encode(pushed));
    const files = entries.filter((e) => e.type === '0');
    expect(files.map((e) => e.name)).toEqual(['den.yaml', `docker/${'d'.repeat(120)}/Dockerfile`]);
    expect(new TextDecoder().decode(files[0].data)).toBe('container:\n  image: debian\n');
    expect(new TextDecoder().decode(files[1].data)).toBe('FROM scratch\n');
  });

  it('tells text from binary', () => {
    expect(isText(enc.encode('hello'))).toBe(true);
    expect(isText(new Uint8Array([0x7f, 0x45, 0, 1]))).toBe(false);
  });
});

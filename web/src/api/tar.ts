// Reading template archives (uncompressed tar, as `den templates push`
// uploads them) in the browser, to show a version's den.yaml and files.

export interface TarEntry {
  name: string;
  /** type is the tar type flag: '0' a file, '5' a directory, '2' a symlink. */
  type: string;
  size: number;
  data: Uint8Array;
}

const block = 512;

function text(b: Uint8Array, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const end = s.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? s.subarray(0, end) : s);
}

function octal(b: Uint8Array, start: number, len: number): number {
  const s = text(b, start, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/** paxPath returns the path record of a PAX extended header, if any. */
function paxPath(data: Uint8Array): string | undefined {
  const s = new TextDecoder().decode(data);
  let i = 0;
  while (i < s.length) {
    const sp = s.indexOf(' ', i);
    if (sp < 0) break;
    const n = parseInt(s.slice(i, sp), 10);
    if (!(n > 0)) break;
    const rec = s.slice(sp + 1, i + n - 1);
    if (rec.startsWith('path=')) return rec.slice(5);
    i += n;
  }
  return undefined;
}

/** readTar lists the entries of a tar archive (ustar, PAX or GNU long names). */
export function readTar(buf: ArrayBuffer | Uint8Array): TarEntry[] {
  const b = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const out: TarEntry[] = [];
  let off = 0;
  let longName: string | undefined;
  while (off + block <= b.length) {
    const h = b.subarray(off, off + block);
    if (h.every((x) => x === 0)) break;
    let name = text(h, 0, 100);
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 48);
    const magic = text(h, 257, 6);
    if (magic.startsWith('ustar')) {
      const prefix = text(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const data = b.subarray(off + block, off + block + size);
    off += block + Math.ceil(size / block) * block;
    if (type === 'x' || type === 'L') {
      longName = type === 'x' ? paxPath(data) : text(data, 0, data.length);
      continue;
    }
    if (type === 'g') continue;
    if (longName) {
      name = longName;
      longName = undefined;
    }
    out.push({ name: name.replace(/^\.\//, ''), type: type === '\0' ? '0' : type, size, data });
  }
  return out;
}

/** isText guesses whether a file is text worth showing. */
export function isText(data: Uint8Array): boolean {
  const n = Math.min(data.length, 8000);
  for (let i = 0; i < n; i++) if (data[i] === 0) return false;
  return true;
}

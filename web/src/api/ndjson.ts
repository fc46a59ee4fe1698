// Newline-delimited JSON, as Den's streaming endpoints answer (job logs,
// a workspace's watch).

/**
 * NdjsonParser splits a byte stream into JSON values, one a line. Chunks may
 * end anywhere, in the middle of a line or of a multi-byte character.
 */
export class NdjsonParser<T> {
  private decoder = new TextDecoder();
  private buffer = '';

  /** push takes the next chunk and returns the values of the lines it completed. */
  push(chunk: Uint8Array | string): T[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop() ?? '';
    return parseLines<T>(lines);
  }

  /** end returns the value of a last line that had no newline. */
  end(): T[] {
    const rest = this.buffer + this.decoder.decode();
    this.buffer = '';
    return parseLines<T>([rest]);
  }
}

function parseLines<T>(lines: string[]): T[] {
  const out: T[] = [];
  for (const line of lines) {
    const s = line.trim();
    if (s === '') continue;
    try {
      out.push(JSON.parse(s) as T);
    } catch {
      throw new Error(`the server's stream sent a line that is not JSON: ${s.slice(0, 120)}`);
    }
  }
  return out;
}

import { mkdtempSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AyaError, BackgroundWriter } from '@aya-fw/core';

describe('BackgroundWriter', () => {
  it('writes files in order through a ring smaller than the data, and reuses the caller’s buffer safely', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aya-bgw-'));
    const writer = new BackgroundWriter(2, 1000);
    const want = [Buffer.alloc(0), Buffer.alloc(0)];
    const fds = [writer.open(join(dir, 'a.bin')), writer.open(join(dir, 'b.bin'))];
    const chunk = new Uint8Array(2500);
    for (let i = 0; i < 40; i++) {
      // The same buffer, refilled each time: write must have copied it before returning.
      chunk.fill(i);
      const part = chunk.subarray(0, 100 + 61 * i);
      writer.write(fds[i % 2], part);
      want[i % 2] = Buffer.concat([want[i % 2], Buffer.from(part)]);
    }
    fds.forEach((fd) => writer.close(fd));
    writer.dispose();
    expect(readFileSync(join(dir, 'a.bin')).equals(want[0])).toBe(true);
    expect(readFileSync(join(dir, 'b.bin')).equals(want[1])).toBe(true);
  });

  it('reports a failed write as a one-line error naming the file, instead of hanging', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aya-bgw-'));
    const writer = new BackgroundWriter(2, 1000);
    const file = join(dir, 'r.bin');
    closeSync(openSync(file, 'w'));
    // A descriptor opened read-only: the worker's writes fail with EBADF.
    const fd = openSync(file, 'r');
    const attempt = () => {
      writer.write(fd, new Uint8Array(3000));
      writer.close(fd);
    };
    expect(attempt).toThrow(AyaError);
    writer.dispose();
  });

  it('names the file and the errno', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aya-bgw-'));
    const writer = new BackgroundWriter(2, 1000);
    const file = join(dir, 'w.bin');
    const fd = writer.open(file);
    closeSync(fd);
    expect(() => {
      writer.write(fd, new Uint8Array(3000));
      writer.close(fd);
    }).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: write failed \\(E[A-Z]+\\)$`));
    writer.dispose();
  });
});

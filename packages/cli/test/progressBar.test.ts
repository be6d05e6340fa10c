import { describe, expect, it } from 'vitest';
import { CLEAR_LINE, progressBar } from '../src/progressBar.ts';

/** A stand-in for process.stderr that records what is written. */
function fakeStream(isTTY: boolean): { isTTY: boolean; writes: string[]; write: (text: string) => boolean } {
  const writes: string[] = [];
  return { isTTY, writes, write: (text) => { writes.push(text); return true; } };
}

describe('progressBar', () => {
  it('on a terminal: redraws one line in place per update, then erases it', () => {
    const stream = fakeStream(true);
    const bar = progressBar('sweeping heads', stream);
    bar.update(0, 12);
    bar.update(3, 12); // 30 × 3/12 = 7.5 → 8 of 30 filled
    bar.update(12, 12);
    bar.end();
    expect(stream.writes).toEqual([
      `\rsweeping heads [${' '.repeat(30)}] 0/12`,
      `\rsweeping heads [${'#'.repeat(8)}${' '.repeat(22)}] 3/12`,
      `\rsweeping heads [${'#'.repeat(30)}] 12/12`,
      CLEAR_LINE,
    ]);
    expect(CLEAR_LINE).toBe('\r\x1b[2K');
    bar.end(); // a second end has nothing left to erase
    expect(stream.writes).toHaveLength(4);
  });

  it('on a terminal: an empty total draws an empty bar; done past the total stays within the bar', () => {
    const stream = fakeStream(true);
    const bar = progressBar('x', stream);
    bar.update(0, 0);
    bar.update(5, 4);
    expect(stream.writes).toEqual([`\rx [${' '.repeat(30)}] 0/0`, `\rx [${'#'.repeat(30)}] 5/4`]);
  });

  it('draws and erases nothing when the sweep never reports', () => {
    const stream = fakeStream(true);
    progressBar('idle', stream).end();
    expect(stream.writes).toEqual([]);
  });

  it('writes nothing at all when the stream is not a terminal (piped, logged)', () => {
    for (const isTTY of [false, undefined]) {
      const stream = fakeStream(false);
      const bar = progressBar('patching resid_pre', isTTY === undefined ? { write: stream.write } : stream);
      bar.update(1, 2);
      bar.update(2, 2);
      bar.end();
      expect(stream.writes).toEqual([]);
    }
  });
});

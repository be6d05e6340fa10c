/** Where a progress bar draws: process.stderr, or anything with the same two members (tests). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Erases the current terminal line (ANSI "erase in line", whole line) after a carriage return. */
export const CLEAR_LINE = '\r\x1b[2K';

/**
 * A progress bar on stderr, only when stderr is a terminal (pipes and logs stay clean). Each
 * update redraws the line in place; `end` erases it, so what the command prints next starts on
 * a clean line.
 */
export function progressBar(label: string, stream: ProgressStream = process.stderr): { update: (done: number, total: number) => void; end: () => void } {
  const tty = stream.isTTY === true;
  let drawn = false;
  return {
    update(done, total) {
      if (!tty) return;
      const width = 30;
      const filled = Math.min(width, Math.round((width * done) / Math.max(total, 1)));
      stream.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`);
      drawn = true;
    },
    end() {
      if (drawn) stream.write(CLEAR_LINE);
      drawn = false;
    },
  };
}

/** A progress bar on stderr, only when stderr is a terminal (pipes and logs stay clean). */
export function progressBar(label: string): { update: (done: number, total: number) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  let drawn = false;
  return {
    update(done, total) {
      if (!tty) return;
      const width = 30;
      const filled = Math.round((width * done) / Math.max(total, 1));
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`);
      drawn = true;
    },
    end() {
      if (drawn) process.stderr.write('\n');
    },
  };
}

/**
 * A writer that stops in the middle of writeFileAtomic: it writes the first chunk of argv[2], says
 * "writing" on stdout and waits forever, for tests to kill it (kill -9) or to race it.
 */
import { writeFileAtomic } from '../../src/io/atomicWrite.ts';

function* chunks(): Generator<Uint8Array> {
  yield new Uint8Array(1024).fill(7);
  process.stdout.write('writing\n');
  // Block this thread without burning a core until the test kills the process.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

writeFileAtomic(process.argv[2], chunks());

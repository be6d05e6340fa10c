/**
 * Runs a regular expression over a text on a worker thread while this thread waits, at most
 * `budgetMs`: a pattern that backtracks catastrophically is stopped (the worker is terminated,
 * which interrupts V8's regex engine) instead of freezing the process. The same JavaScript engine
 * matches, so results are exactly those of running the pattern here.
 *
 * The wait is synchronous (Atomics.wait on a shared flag, the reply read with receiveMessageOnPort)
 * because tokenizers encode synchronously. One worker serves the whole thread; it is started on first
 * use, does not keep the process alive, and is replaced after a timeout.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

export type RegexJob =
  /** Every match (as matchAll finds them): [start, end] of the match and of each group (-1, -1 when unmatched). */
  | { op: 'indices'; source: string; flags: string; text: string }
  | { op: 'split'; source: string; flags: string; text: string; limit?: number }
  | { op: 'replace'; source: string; flags: string; text: string; replacement: string };

export type RegexResult<J extends RegexJob> = J extends { op: 'indices' } ? Int32Array : J extends { op: 'split' } ? string[] : string;

// Plain JavaScript: a worker cannot load this package's TypeScript without a loader.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { port, flag } = workerData;
const compiled = new Map();
function regex(source, flags) {
  const key = flags + '/' + source;
  let re = compiled.get(key);
  if (re === undefined) {
    re = new RegExp(source, flags);
    if (compiled.size > 64) compiled.clear();
    compiled.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}
function indices(job) {
  // The d flag only records where groups matched; it does not change what matches.
  const re = regex(job.source, job.flags.includes('d') ? job.flags : job.flags + 'd');
  const out = [];
  for (const match of job.text.matchAll(re)) {
    for (const span of match.indices) {
      if (span === undefined) out.push(-1, -1);
      else out.push(span[0], span[1]);
    }
  }
  return Int32Array.from(out);
}
port.on('message', (job) => {
  let reply;
  try {
    if (job.op === 'indices') {
      const result = indices(job);
      reply = { result };
      port.postMessage(reply, [result.buffer]);
    } else {
      const re = regex(job.source, job.flags);
      const result = job.op === 'split' ? job.text.split(re, job.limit) : job.text.replace(re, job.replacement);
      port.postMessage({ result });
    }
  } catch (error) {
    port.postMessage({ error: String(error && error.message || error) });
  }
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
// Ready: the budget of the first job starts only now, not while the thread boots.
Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
`;

interface Runner {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
}

let runner: Runner | undefined;
const WORKER_START_MS = 60_000;

function startRunner(): Runner {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2, flag }, transferList: [port2] });
  worker.unref();
  port1.unref();
  if (Atomics.wait(flag, 0, 0, WORKER_START_MS) === 'timed-out') {
    port1.close();
    void worker.terminate();
    throw new Error(`the tokenizer's regex worker thread did not start within ${WORKER_START_MS / 1000} s`);
  }
  return { worker, port: port1, flag };
}

function stopRunner(stopped: Runner): void {
  if (runner === stopped) runner = undefined;
  stopped.port.close();
  void stopped.worker.terminate();
}

/** Thrown when a job did not finish within its budget (the worker has been stopped). */
export class RegexTimeout extends Error {
  override name = 'RegexTimeout';
}

/** The result of `job`, computed on the worker within `budgetMs`; RegexTimeout if it took longer. */
export function runRegexJob<J extends RegexJob>(job: J, budgetMs: number): RegexResult<J> {
  const current = runner ??= startRunner();
  Atomics.store(current.flag, 0, 0);
  current.port.postMessage(job);
  const deadline = performance.now() + budgetMs;
  let reply: { result?: RegexResult<J>; error?: string } | undefined;
  for (;;) {
    Atomics.wait(current.flag, 0, 0, Math.max(0, deadline - performance.now()));
    reply = receiveMessageOnPort(current.port)?.message as typeof reply;
    if (reply !== undefined) break;
    if (performance.now() >= deadline) {
      stopRunner(current);
      throw new RegexTimeout(`did not finish within ${budgetMs} ms`);
    }
    // The flag is up but the reply is not readable yet: give it a millisecond.
    Atomics.wait(current.flag, 0, 1, 1);
  }
  if (reply.error !== undefined) throw new Error(reply.error);
  return reply.result as RegexResult<J>;
}

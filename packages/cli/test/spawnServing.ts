import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface SpawnedServer {
  child: ChildProcess;
  /** The URL the process prints once it serves (no trailing slash); rejects if it exits first. */
  url: Promise<string>;
  /** Everything it has printed so far (stdout and stderr). */
  output: () => string;
}

/** Runs `node ARGS` (a `hooklens serve` or `pnpm start` script) and waits for its "hooklens serving on URL" line. */
export function spawnServing(args: string[], options: Pick<SpawnOptions, 'cwd' | 'env'>): SpawnedServer {
  const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /hooklens serving on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1].replace(/\/$/, ''));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before serving:\n${output}`)));
  });
  return { child, url, output: () => output };
}

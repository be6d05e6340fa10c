import { DEFAULT_HOST, DEFAULT_PORT, MIN_TOKEN_LENGTH } from '@hooklens/ui/server/defaults';
import { resolveModel } from '@hooklens/core/hub';
import type { Command } from './command.ts';
import { MODEL_VALUE, MODEL_VALUE_HELP } from './modelOptions.ts';
import { numberOption, stringOption } from '../args.ts';
import type { OptionValues } from '../args.ts';
import { CliError, UsageError } from '../errors.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'the dashboard and its JSON API on one local port',
  usage: `serve --model ${MODEL_VALUE} [--model ${MODEL_VALUE}…] [--models-dir DIR] [--tokenizer PATH] [--port 7860] [--host 127.0.0.1]`,
  details: [
    'Loads the models, then serves the dashboard (packages/ui/dist/client, once built) and the JSON API ' +
      '(packages/ui/API.md) on http://HOST:PORT/. Models are offered by id: a shipped or hub name as typed (toy-ioi, gpt2, ORG/NAME), ' +
      'else the checkpoint\'s directory or file name (stories260K.bin → stories260K). ' +
      'Model calls run one at a time, in arrival order. Stop with Ctrl-C.',
    'It binds to 127.0.0.1 and answers only requests addressed to localhost / 127.0.0.1 / [::1] (no other site ' +
      'can reach it through DNS rebinding or cross-site requests). Binding to another address (--host 0.0.0.0) ' +
      'requires a token on every request: one is generated and printed at start (or give --token / $HOOKLENS_TOKEN).',
  ],
  options: [
    { name: 'model', type: 'string', value: MODEL_VALUE, repeatable: true, description: `checkpoint to serve: ${MODEL_VALUE_HELP}; repeat it, or separate with commas, to serve several` },
    { name: 'models-dir', type: 'string', value: 'DIR', description: 'also serve every checkpoint directly inside DIR' },
    { name: 'tokenizer', type: 'string', value: 'PATH', description: 'tokenizer for every model (default: the one found beside each checkpoint, or pulled with a llama2.c hub name)' },
    { name: 'port', type: 'string', value: 'N', description: `port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)` },
    { name: 'host', type: 'string', value: 'ADDR', description: `address to bind (default ${DEFAULT_HOST}); a non-loopback address requires a token` },
    { name: 'token', type: 'string', value: 'TOKEN', description: `the token a non-loopback server requires (default: $HOOKLENS_TOKEN, else generated; at least ${MIN_TOKEN_LENGTH} characters)` },
  ],
  examples: [
    'hooklens serve --model toy-ioi --model toy-induction',
    'hooklens serve --models-dir packages/core/models --port 8080',
    'hooklens pull gpt2 && hooklens serve --model gpt2 --model toy-ioi',
  ],
  async run(values, globals) {
    const { generateToken, isLoopbackAddress, loadServedModels, startServer } = await import('@hooklens/ui/server');
    const names = modelNames(values);
    const modelsDir = stringOption(values, 'models-dir');
    if (names.length === 0 && modelsDir === undefined) throw new UsageError('serve: give --model PATH or --models-dir DIR (see hooklens serve --help)');
    const port = numberOption(values, 'port', 'serve', { integer: true, min: 0, max: 65535 }) ?? DEFAULT_PORT;
    const host = stringOption(values, 'host') ?? DEFAULT_HOST;
    const loopback = isLoopbackAddress(host);
    const token = loopback ? undefined : (stringOption(values, 'token') ?? process.env.HOOKLENS_TOKEN ?? generateToken());
    if (token !== undefined && token.length < MIN_TOKEN_LENGTH) throw new UsageError(`serve: --token must be at least ${MIN_TOKEN_LENGTH} characters`);

    const tokenizer = stringOption(values, 'tokenizer');
    // Before the port is taken: a hub name that is not cached is a one-line error naming `hooklens pull`.
    const paths = names.map(modelSource);
    const models = await loadServedModels({
      paths,
      ...(modelsDir !== undefined && { modelsDir }),
      ...(tokenizer !== undefined && { tokenizer }),
      ...(globals.backend !== undefined && { backend: globals.backend }),
    }).catch((error: unknown) => {
      throw new CliError(error instanceof Error ? error.message : String(error));
    });
    const server = await startServer({ models, host, port, ...(token !== undefined && { token }) }).catch((error: unknown) => {
      models.dispose();
      const code = (error as { code?: string }).code;
      if (code === 'EADDRINUSE') throw new CliError(`port ${port} on ${host} is already in use; pick another with --port (0 picks a free one)`);
      throw new CliError(error instanceof Error ? error.message : String(error));
    });

    const say = (line: string) => process.stdout.write(`${line}\n`);
    say(`backend: ${models.backend}`);
    for (const served of models.list()) say(`model:   ${served.id} (${served.model.config.family}, ${served.model.numParams().toLocaleString('en-US')} parameters)`);
    if (token !== undefined) say(`token:   ${token}   (required on every request: Authorization: Bearer <token>, or ?token= once in the browser)`);
    say(`hooklens serving on ${server.url}`);

    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        process.stderr.write('hooklens serve: stopping\n');
        void server.close().then(() => resolve());
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    models.dispose();
  },
};

/** The --model values: repeated, each possibly comma-separated. */
function modelNames(values: OptionValues): string[] {
  const value: unknown = values.model;
  const raw = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
  return raw.flatMap((entry) => entry.split(',')).map((name) => name.trim()).filter((name) => name !== '');
}

/**
 * What to load for one --model value, resolved as every other command resolves it (openModel). A
 * shipped or cached hub name is served under the name as typed (a cached snapshot's own folder is a
 * commit hash), with the tokenizer the cache keeps apart for llama2.c names; a path under its file name.
 */
function modelSource(name: string): { path: string; id?: string; tokenizer?: string } {
  const resolved = resolveModel(name);
  if (resolved.source === 'path') return { path: resolved.path };
  return { path: resolved.path, id: name, ...(resolved.tokenizer !== undefined && { tokenizer: resolved.tokenizer }) };
}

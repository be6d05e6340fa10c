/**
 * The start every example shares: read the command line, start the backend, open the model.
 *
 * --model takes a path (a Hugging Face or hooklens directory, a llama2.c .bin), a model shipped
 * in packages/core/models (toy-ioi, toy-induction), or a hub name already fetched with
 * `hooklens pull`; --tokenizer overrides the tokenizer found beside it. A model that cannot be
 * opened ends the script with one line on stderr and exit code 1: a typo should not read as a crash.
 */
import { parseArgs } from 'node:util';
import { engineLine, initBackend, loadModel } from '@hooklens/core';
import type { BackendInfo, HookedTransformer } from '@hooklens/core';
import { resolveModel } from '@hooklens/core/hub';

type OptionSpecs = Record<string, { type: 'string' | 'boolean' }>;
/** What parseArgs returns for `O`: every option may be absent. */
type Values<O extends OptionSpecs> = { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };

export async function openExample<O extends OptionSpecs = {}>(setup: { defaultModel: string; options?: O }) {
  const common = { model: { type: 'string' }, tokenizer: { type: 'string' } } as const;
  const values = parseCommandLine({ ...setup.options, ...common }) as Values<O> & Values<typeof common>;
  const name = values.model ?? setup.defaultModel;
  const backend: BackendInfo = await initBackend();
  let model: HookedTransformer;
  try {
    const resolved = resolveModel(name);
    const tokenizer = values.tokenizer ?? resolved.tokenizer;
    model = await loadModel(resolved.path, tokenizer === undefined ? {} : { tokenizer });
  } catch (error) {
    // Loader and hub errors are one line that names the path and says what would have worked.
    fail(`cannot open model ${JSON.stringify(name)}: ${firstLine(error)}`);
  }
  // The engine that runs the model (onnx by default, $HOOKLENS_ENGINE), as the CLI's backend line names it.
  console.log(`backend: ${engineLine(model.engine, backend.description)}`);
  return { model, values, backend };
}

function parseCommandLine(options: OptionSpecs) {
  try {
    return parseArgs({ options }).values;
  } catch (error) {
    fail(firstLine(error)); // an unknown option or a missing value
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

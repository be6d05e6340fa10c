import { resolveModel } from '@hooklens/core/hub';
import type { BackendInfo, EngineName, HookedTransformer } from '@hooklens/core';
import { stringOption } from './args.ts';
import type { OptionValues } from './args.ts';
import type { GlobalOptions } from './commands/command.ts';

/**
 * Starts the tfjs backend and names the engine that runs models on stderr (`onnx (CPU, 2
 * threads)`, or `tfjs on` the tfjs backend), so stdout stays clean for pipes. `engine` is the
 * one a command must use whatever was asked (training: tfjs).
 */
export async function startBackend(globals: GlobalOptions, engine: EngineName | undefined = globals.engine): Promise<BackendInfo> {
  const { chooseEngine, engineLine, initBackend } = await import('@hooklens/core');
  const backend = await initBackend(globals.backend);
  process.stderr.write(`backend: ${engineLine(chooseEngine(engine), backend.description)}\n`);
  return backend;
}

export interface OpenedModel {
  model: HookedTransformer;
  backend: BackendInfo;
  path: string;
}

/** Backend, then the checkpoint named by --model (and --tokenizer). */
export async function openModel(values: OptionValues, globals: GlobalOptions): Promise<OpenedModel> {
  // A path, a shipped model, or a short/hub name already pulled into the Hugging Face cache.
  const resolved = resolveModel(stringOption(values, 'model')!);
  const backend = await startBackend(globals);
  const path = resolved.path;
  const tokenizer = stringOption(values, 'tokenizer') ?? resolved.tokenizer;
  const { loadModel } = await import('@hooklens/core');
  const model = await loadModel(path, tokenizer === undefined ? {} : { tokenizer });
  return { model, backend, path };
}

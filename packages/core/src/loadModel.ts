import { initBackend } from './backend/index.ts';
import { chooseEngine } from './engine/select.ts';
import type { BackendName } from './backend/index.ts';
import type { EngineName } from './engine/select.ts';
import { loadCheckpoint } from './io/detect.ts';
import { availableMemoryBytes, checkModelFits } from './memoryFit.ts';
import { HookedTransformer } from './model.ts';
import { processWeights } from './process.ts';
import type { ProcessingOptions } from './process.ts';
import { loadTokenizer } from './tokenizers/load.ts';

export interface LoadModelOptions {
  /** A tokenizer.json, a directory holding one, or a llama2.c tokenizer .bin; default: the one beside the checkpoint. */
  tokenizer?: string;
  /** Weight processing; the default loads weights unprocessed, faithful to the checkpoint. */
  processing?: ProcessingOptions;
  /** Force a backend; default: HOOKLENS_BACKEND or the best installed one. */
  backend?: BackendName;
  /** Force an engine (onnx or tfjs); default: HOOKLENS_ENGINE, else onnx where onnxruntime-node loads, else tfjs. */
  engine?: EngineName;
  /**
   * Bytes of memory the model may take; a model estimated (from its config) to need more is
   * refused before any weight is read. Default: the memory the system has available now.
   */
  availableMemory?: number;
}

/**
 * Reads a checkpoint (Hugging Face GPT-2 / Llama directory, llama2.c .bin, or hooklens'
 * own format), detected by its contents, with its tokenizer, into a HookedTransformer.
 *
 * @example
 * // A model shipped in packages/core/models (path from the repository root).
 * const model = await loadModel('packages/core/models/toy-ioi');
 * const { text } = await model.generate('When Mary and John went to the store , John gave a drink to', { maxNewTokens: 1, temperature: 0 });
 * console.log(text); // " Mary"
 */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<HookedTransformer> {
  const backend = await initBackend(options.backend);
  const engine = chooseEngine(options.engine).name;
  const availableBytes = options.availableMemory ?? await availableMemoryBytes();
  const checkpoint = loadCheckpoint(path, {
    checkConfig: (config) => checkModelFits(config, path, { engine, wasm: backend.name === 'wasm', availableBytes }),
  });
  const tokenizerPath = options.tokenizer ?? checkpoint.tokenizerPath;
  const tokenizer = tokenizerPath ? loadTokenizer(tokenizerPath, { vocabSize: checkpoint.config.dVocab }) : undefined;
  const { config, weights } = options.processing
    ? processWeights(checkpoint.config, checkpoint.weights, options.processing)
    : checkpoint;
  return new HookedTransformer(config, weights, { tokenizer, source: checkpoint.source, engine });
}

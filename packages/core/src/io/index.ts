export { LoadError } from './errors.ts';
export { writeFileAtomic, writeJsonAtomic } from './atomicWrite.ts';
export { decodeBF16, decodeF16, decodeF32, decodeF64, encodeBF16, float16ToFloat32 } from './dtypes.ts';
export {
  fileSize, parseSafetensors, readSafetensors, SafetensorsReader, writeSafetensors,
  type ReadSafetensorsOptions, type SafetensorsDtype, type SafetensorsEntry, type SafetensorsFile, type SafetensorsHeader,
  type WriteSafetensorsOptions,
} from './safetensors.ts';
export type { CheckpointFormat, LoadCheckpointOptions, LoadedCheckpoint } from './checkpoint.ts';
export { loadHuggingFace, type HuggingFaceArchitecture } from './huggingface.ts';
export { findLlama2cTokenizer, loadLlama2c, parseLlama2cHeader, readLlama2cHeader, type Llama2cHeader } from './llama2c.ts';
export { loadHooklens, saveCheckpoint, type SaveCheckpointOptions } from './hooklensFormat.ts';
export { loadCheckpoint, SUPPORTED_CHECKPOINTS } from './detect.ts';

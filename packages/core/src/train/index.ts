export { AdamW, decaysByDefault } from './adamw.ts';
export type { AdamWOptions } from './adamw.ts';
export { clipByGlobalNorm } from './clip.ts';
export { initWeights, initStd, seededNormal, INIT_STD } from './init.ts';
export { learningRate } from './schedule.ts';
export type { ScheduleOptions } from './schedule.ts';
export { trainModel, trainingConfig, taskTokenizer, evaluateModel } from './trainer.ts';
export type { ModelShape, TrainOptions, TrainProgress, TrainResult, EvalResult } from './trainer.ts';
export { saveTrainedModel } from './saveTrained.ts';
export { wordVocabulary, charVocabulary, writeTokenizerFiles, SPECIAL_TOKENS, BOS_ID, EOS_ID, PAD_ID, UNK_ID } from './vocabulary.ts';
export type { Vocabulary } from './vocabulary.ts';
export { padRows } from './tasks/task.ts';
export type { Batch, TrainingTask } from './tasks/task.ts';
export { inductionTask, inductionRow, inductionVocabulary, repeatedTokens, repeatedHalfLoss } from './tasks/induction.ts';
export type { InductionOptions } from './tasks/induction.ts';
export {
  ioiTask, ioiPrompt, ioiPromptIds, ioiTrainingRow, ioiMetrics, ioiVocabulary, heldOutIoiPrompts, isHeldOut,
  IOI_NAMES, IOI_PLACES, IOI_OBJECTS, IOI_TEMPLATES, IOI_HELD_OUT_SEED, IOI_CONTEXT_LENGTH,
} from './tasks/ioi.ts';
export type { IoiPrompt } from './tasks/ioi.ts';
export { textTask, textFileTask } from './tasks/text.ts';
export type { TextOptions } from './tasks/text.ts';

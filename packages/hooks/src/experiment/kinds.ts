/**
 * The experiment file's kinds, without the schema: its own entry point
 * ("@hooklens/hooks/experiment-kinds", no zod, no tfjs), so the CLI's help names them cheaply.
 */
export const EXPERIMENT_KINDS = ['lens', 'ablation', 'ablation-sweep', 'patching', 'head-scores'] as const;
/** Mirrors @hooklens/hooks' PATCH_KINDS (run.ts checks at compile time that they agree), plus the three-grid 'every-block'. */
export const EXPERIMENT_PATCH_KINDS = [
  'resid_pre', 'resid_mid', 'attn_out', 'mlp_out',
  'z', 'q', 'k', 'v', 'pattern',
  'z_by_pos', 'q_by_pos', 'k_by_pos', 'v_by_pos', 'pattern_by_pos',
  'every-block',
] as const;

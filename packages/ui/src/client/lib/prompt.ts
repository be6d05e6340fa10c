/** Prompt text as typed → what the API takes. Models without a tokenizer take token ids ("12 7 301" or "12,7,301"). */
import type { Prompt } from '../../api/index.ts';

export function toPrompt(text: string, hasTokenizer: boolean): Prompt | null {
  if (hasTokenizer) return text.length > 0 ? text : null;
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0 || !parts.every((p) => /^#?\d+$/.test(p))) return null;
  return parts.map((p) => Number(p.replace('#', '')));
}

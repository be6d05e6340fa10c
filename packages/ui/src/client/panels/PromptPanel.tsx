/** The prompts, defined once for every view: clean and corrupted text with their tokens as chips, and the answer / wrong tokens. */
import { TokenChips, tokenDiff, UnknownWords } from '../charts/TokenChips.tsx';
import { ErrorBox } from '../charts/Status.tsx';
import { useSession } from '../state/session.tsx';
import { useTokens } from './PatchingPanel.tsx';

export function PromptPanel() {
  const session = useSession();
  const { state, update, model } = session;
  const clean = useTokens(session, session.clean);
  const corrupted = useTokens(session, session.corrupted);
  const diff = clean.data && corrupted.data ? tokenDiff(clean.data.tokens, corrupted.data.tokens) : undefined;
  const hint = model.hasTokenizer ? 'text' : 'token ids, e.g. 12 7 301 (this model has no tokenizer)';
  const box = (which: 'prompt' | 'corrupted', label: string, tokens: typeof clean) => (
    <div className="prompt-box">
      <div className="title">
        <span>{label}</span>
        <span>{tokens.data ? `${tokens.data.ids.length} tokens · n_ctx ${tokens.data.nCtx}` : tokens.status === 'loading' ? 'tokenizing…' : ''}</span>
      </div>
      <textarea
        rows={2}
        value={state[which]}
        placeholder={which === 'prompt' ? `clean prompt (${hint})` : 'corrupted prompt: the clean one with the answer-deciding token(s) changed'}
        onChange={(e) => update({ [which]: e.target.value })}
        data-testid={`${which}-input`}
        spellCheck={false}
      />
      {tokens.error && <ErrorBox error={tokens.error} />}
      {tokens.data && <TokenChips tokens={tokens.data.tokens} ids={tokens.data.ids} highlight={diff} unknown={tokens.data.unknown} testId={`${which}-tokens`} />}
      {tokens.data && <UnknownWords unknown={tokens.data.unknown} model={model.id} testId={`${which}-unknown`} />}
    </div>
  );
  return (
    <div className="prompts">
      {box('prompt', 'clean prompt', clean)}
      {box('corrupted', 'corrupted prompt (optional: for comparisons and patching)', corrupted)}
      <div className="prompt-extra">
        <label title="The token the model should predict next: one-token text (mind the leading space) or #id">
          answer
          <input type="text" value={state.answer} onChange={(e) => update({ answer: e.target.value })} placeholder='e.g. " Mary" or #42' data-testid="answer-input" spellCheck={false} />
        </label>
        <label title="A competing wrong token: metrics use logit[answer] − logit[wrong]">
          wrong
          <input type="text" value={state.wrong} onChange={(e) => update({ wrong: e.target.value })} placeholder='e.g. " John"' data-testid="wrong-input" spellCheck={false} />
        </label>
        <span className="status">Leading spaces count: “ Mary” and “Mary” are different tokens.</span>
      </div>
    </div>
  );
}

import { pullModel, SHORT_NAMES, type PullProgress } from '@hooklens/core/hub';
import type { Command } from './command.ts';
import { numberOption, stringOption } from '../args.ts';

export const pullCommand: Command = {
  name: 'pull',
  summary: 'download a checkpoint from the Hugging Face hub into the shared Hugging Face cache',
  usage: 'pull NAME|ORG/NAME[/FILE] [--revision REV] [--timeout SECONDS]',
  details: [
    `Short names: ${Object.entries(SHORT_NAMES).map(([name, target]) => `${name} (${target.repo}${target.file ? `/${target.file}` : ''})`).join(', ')}.`,
    'For ORG/NAME it fetches config.json, the safetensors weights (one file or an index and its shards) and the ' +
      'tokenizer and generation configs; for ORG/NAME/FILE just that file (llama2.c checkpoints).',
    'Files go to the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub) in the layout ' +
      "Python's huggingface_hub uses, so models either side pulled are shared. Every file is checked against the hub's " +
      'sha256 (or git hash) before it becomes visible; an interrupted pull leaves nothing visible and resumes when run again. ' +
      'Afterwards `--model NAME` works offline in every command. Prints the local path on stdout.',
    'The hub is $HOOKLENS_HUB_URL (default https://huggingface.co); $HF_TOKEN is sent for gated or private repositories.',
  ],
  options: [
    { name: 'model', type: 'string', value: 'NAME', required: true, positional: true, description: 'short name, ORG/NAME or ORG/NAME/FILE (optionally @REV)' },
    { name: 'revision', type: 'string', value: 'REV', description: 'branch, tag or commit (default: main)' },
    { name: 'timeout', type: 'string', value: 'SECONDS', description: 'give up when the hub does not answer a request, or sends no data, for this long (default: 30)' },
  ],
  examples: ['hooklens pull gpt2', 'hooklens pull stories15M', 'hooklens pull HuggingFaceTB/SmolLM-135M --revision main'],
  async run(values) {
    const name = stringOption(values, 'model')!;
    const revision = stringOption(values, 'revision');
    const timeout = numberOption(values, 'timeout', 'pull', { min: 0, minExclusive: true });
    const progress = new ProgressLine(process.stderr);
    let result;
    try {
      result = await pullModel(name, {
        ...(revision === undefined ? {} : { revision }),
        ...(timeout === undefined ? {} : { timeoutMs: timeout * 1000 }),
        onProgress: (p) => progress.update(p),
      });
    } finally {
      progress.end();
    }
    for (const repo of result.repos) {
      process.stderr.write(`${repo.repo} at ${repo.commit.slice(0, 7)}: ${repo.files.length} file${repo.files.length === 1 ? '' : 's'}, ${formatBytes(repo.bytes)} in ${repo.snapshot}\n`);
    }
    process.stdout.write(`${result.path}\n`);
  },
};

/** 548105164 → "548.1 MB". */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [[1e9, 'GB'], [1e6, 'MB'], [1e3, 'kB']];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${(bytes / size).toFixed(1)} ${unit}`;
  }
  return `${bytes} B`;
}

/**
 * A progress bar redrawn in place on a terminal (at most ten times a second); elsewhere one line per
 * file, so logs stay readable.
 */
class ProgressLine {
  private lastDraw = 0;
  private lastFile = '';
  private drawn = false;
  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(p: PullProgress): void {
    const file = `${p.repo}/${p.file}`;
    if (!this.stream.isTTY) {
      if (file !== this.lastFile) this.stream.write(`pulling ${file} (${formatBytes(p.fileSize)}) [${p.fileIndex + 1}/${p.fileCount}]\n`);
      this.lastFile = file;
      return;
    }
    const now = Date.now();
    if (file === this.lastFile && now - this.lastDraw < 100 && p.bytes < p.totalBytes) return;
    this.lastFile = file;
    this.lastDraw = now;
    const fraction = p.totalBytes > 0 ? p.bytes / p.totalBytes : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
    const line = `${bar} ${formatBytes(p.bytes)} / ${formatBytes(p.totalBytes)}  ${p.file} [${p.fileIndex + 1}/${p.fileCount}]`;
    const columns = this.stream.columns ?? 100;
    this.stream.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
    this.drawn = true;
  }

  end(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}

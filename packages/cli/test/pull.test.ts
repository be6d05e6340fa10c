import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../../core/test/hub/closedPort.ts';
import { startFakeHub, type FakeHub } from '../../core/test/hub/fakeHub.ts';
import { GPT2_COMMIT, tinyGpt2Repo } from '../../core/test/hub/fixtures.ts';
import { errorLines, runCli } from './runCli.ts';

const REPO = 'test-org/tiny-gpt2';


describe('hooklens pull', () => {
  let hub: FakeHub;
  let root: string;
  let deadUrl: string;
  const env = (home: string, hubUrl = hub.url) => ({ HF_HOME: home, HF_HUB_CACHE: join(home, 'hub'), HOOKLENS_HUB_URL: hubUrl });
  const freshHome = () => mkdtempSync(join(root, 'hf-'));
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'hooklens-pull-'));
    hub = await startFakeHub(new Map([[REPO, tinyGpt2Repo()]]));
    deadUrl = `http://127.0.0.1:${await closedPort()}`;
  });
  afterAll(async () => {
    await hub.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('pulls into the Hugging Face cache; afterwards --model ORG/NAME works with the hub gone', async () => {
    const home = freshHome();
    const snapshot = join(home, 'hub', 'models--test-org--tiny-gpt2', 'snapshots', GPT2_COMMIT);
    const pulled = await runCli(['pull', REPO], { env: env(home) });
    expect(pulled.stderr).toContain(`pulling ${REPO}/model.safetensors (`);
    expect(pulled.stderr).toMatch(new RegExp(`${REPO} at ${GPT2_COMMIT.slice(0, 7)}: 2 files, [\\d.]+ kB in ${snapshot}\\n`));
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toBe(`${snapshot}\n`);

    // No hub now: an unreachable URL, so any network use would fail loudly.
    const info = await runCli(['info', '--model', REPO, '--json'], { env: env(home, deadUrl) });
    expect(errorLines(info)).toEqual([]);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ model: snapshot, family: 'gpt2' });
  });

  it('an unreachable hub is one line naming the host', async () => {
    const home = freshHome();
    const result = await runCli(['pull', 'gpt2'], { env: env(home, deadUrl) });
    expect(result.code).toBe(1);
    expect(errorLines(result)).toEqual([`hooklens: cannot reach ${deadUrl.slice('http://'.length)} (ECONNREFUSED)`]);
    expect(readdirSync(home)).toEqual([]);
  });

  it('an interrupted download leaves no model behind and says so in one line', async () => {
    const home = freshHome();
    hub.truncate.add(`${REPO}/model.safetensors`);
    const result = await runCli(['pull', '--model', REPO], { env: env(home) });
    expect(result.code).toBe(1);
    const lines = errorLines(result).filter((line) => !line.startsWith('pulling '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hooklens: download of test-org\/tiny-gpt2\/model\.safetensors from 127\.0\.0\.1:\d+ was interrupted \(.+\); run the pull again to resume$/);

    const info = await runCli(['info', '--model', REPO], { env: env(home, deadUrl) });
    expect(info.code).toBe(1);
    expect(errorLines(info)).toEqual([
      `hooklens: model ${REPO} is not a path and not in the Hugging Face cache (${join(home, 'hub')}); run \`hooklens pull ${REPO}\``,
    ]);
  });

  it('a checksum mismatch is one line naming the file', async () => {
    const home = freshHome();
    hub.corrupt.add(`${REPO}/model.safetensors`);
    try {
      const result = await runCli(['pull', '--model', REPO], { env: env(home) });
      expect(result.code).toBe(1);
      expect(errorLines(result).filter((line) => !line.startsWith('pulling '))).toEqual([
        expect.stringMatching(/^hooklens: test-org\/tiny-gpt2\/model\.safetensors: checksum mismatch \(sha256 [0-9a-f]+, expected [0-9a-f]+\); removed the download, run the pull again$/),
      ]);
    } finally {
      hub.corrupt.clear();
    }
  });

  it('a hub that never answers is one line naming the host after --timeout', async () => {
    const home = freshHome();
    hub.silent = true;
    try {
      const result = await runCli(['pull', REPO, '--timeout', '0.5'], { env: env(home), timeoutMs: 30_000 });
      expect(result.code).toBe(1);
      expect(errorLines(result)).toEqual([expect.stringMatching(/^hooklens: test-org\/tiny-gpt2@main: 127\.0\.0\.1:\d+ did not answer within 0\.5 s$/)]);
    } finally {
      hub.silent = false;
    }
  });

  it('a revision that would name a path outside the cache is refused', async () => {
    const home = freshHome();
    const result = await runCli(['pull', REPO, '--revision', '../../../somewhere/file'], { env: env(home) });
    expect(result.code).toBe(1);
    expect(errorLines(result)).toEqual(['hooklens: ../../../somewhere/file: not a revision (a branch or tag name as git allows it, or a 40-digit commit hash)']);
    expect(readdirSync(home)).toEqual([]);
  });
});

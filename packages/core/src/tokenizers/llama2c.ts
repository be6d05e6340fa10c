/**
 * llama2.c `tokenizer.bin` (e.g. tok512.bin for stories260K), read and run by hand.
 *
 * File layout (little-endian): int32 max_token_length, then for each token i, until EOF:
 * float32 score, int32 length, `length` bytes of the UTF-8 piece. The vocab size is not
 * stored; it is the number of entries. Token 0 = <unk>, 1 = <s> (BOS), 2 = </s> (EOS) and
 * pieces "<0x00>".."<0xFF>" at ids 3..258 are the byte-fallback tokens.
 *
 * `encode` follows llama2.c run.c `encode()` (without BOS/EOS):
 *  - a non-empty text gets the dummy-prefix piece " " first;
 *  - each UTF-8 codepoint becomes its piece if the vocab has it, else one byte token (byte + 3)
 *    per UTF-8 byte;
 *  - then, repeatedly, the adjacent pair whose concatenated piece is in the vocab with the
 *    highest score is merged (strictly greater wins, so the leftmost of equal scores; scores
 *    must beat run.c's starting best of -1e10), until no pair merges.
 *  The merge loop uses a linked list and a heap ordered by (score desc, position asc), which
 *  picks exactly the pair run.c's quadratic scan picks at every step.
 *
 * `decode` follows run.c `decode(prev, token)`: after BOS a piece's leading space is dropped,
 * and `<0xHH>` pieces are the raw byte; the bytes of all pieces are joined and decoded as UTF-8
 * at the end, so characters split over byte tokens come out whole.
 *
 * Start of sequence: `decode(ids)` treats the first id as following BOS (as llama2.c's
 * generation loop does, which starts from BOS), so `decode(encode(text)) === text` — encode's
 * dummy-prefix space is removed again. BOS/EOS ids are dropped from the output but still count
 * as `previous` (a token after a BOS in the middle loses its leading space too).
 * `tokenToString(id, previous)` applies the same rule for one token: `previous` undefined means
 * start of sequence, i.e. after BOS. So decode(ids) is the concatenation (over bytes) of
 * tokenToString(ids[i], ids[i-1]) for the non-special ids. For BOS/EOS themselves
 * tokenToString gives the trimmed piece ("<s>", "</s>"; llama2.c stores them as "\n<s>\n").
 *
 * Differences from run.c, on inputs where run.c misbehaves: if " " is not in the vocab, the
 * dummy prefix falls back to its byte token (run.c would emit -1); duplicate pieces resolve to
 * the lowest id (run.c's bsearch picks any); U+0000 is encoded like any character (C strings end
 * there).
 */
import { readFileSync } from 'node:fs';
import { type Tokenizer, TokenizerError } from './types.ts';

const UNK = 0;
const BOS = 1;
const EOS = 2;
const BYTE_OFFSET = 3;
/** run.c starts its search with best_score = -1e10 (a float). */
const MIN_MERGE_SCORE = Math.fround(-1e10);
const MAX_PLAUSIBLE_TOKEN_LENGTH = 1024;

export interface Llama2cTokenizerOptions {
  /** If given, the number of entries in the file must equal it. */
  vocabSize?: number;
}

/** The parsed contents of a tokenizer.bin. */
export interface Llama2cVocab {
  maxTokenLength: number;
  pieces: Uint8Array[];
  scores: Float32Array;
}

/** Parse a llama2.c tokenizer.bin; throws TokenizerError "not a llama2.c tokenizer.bin" when it does not parse to EOF exactly. */
export function parseLlama2cTokenizerBin(bytes: Uint8Array, source: string): Llama2cVocab {
  const notIt = (why: string) =>
    new TokenizerError(`${source}: not a llama2.c tokenizer.bin (${why})`);
  if (bytes.length < 4) throw notIt(`file is ${bytes.length} bytes, too short for the max_token_length header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const maxTokenLength = view.getInt32(0, true);
  if (maxTokenLength < 1 || maxTokenLength > MAX_PLAUSIBLE_TOKEN_LENGTH) {
    throw notIt(`max_token_length ${maxTokenLength} is not in 1..${MAX_PLAUSIBLE_TOKEN_LENGTH}`);
  }
  const pieces: Uint8Array[] = [];
  const scores: number[] = [];
  let pos = 4;
  while (pos < bytes.length) {
    const i = pieces.length;
    if (pos + 8 > bytes.length) {
      throw notIt(`truncated: token ${i} header at byte ${pos} needs 8 bytes, ${bytes.length - pos} left`);
    }
    const score = view.getFloat32(pos, true);
    const length = view.getInt32(pos + 4, true);
    pos += 8;
    if (length < 0 || length > maxTokenLength) {
      throw notIt(`token ${i} has length ${length}, outside 0..max_token_length ${maxTokenLength}`);
    }
    if (pos + length > bytes.length) {
      throw notIt(`truncated: token ${i} piece needs ${length} bytes at byte ${pos}, ${bytes.length - pos} left`);
    }
    pieces.push(bytes.slice(pos, pos + length));
    scores.push(score);
    pos += length;
  }
  if (pieces.length === 0) throw notIt('no token entries after the header');
  return { maxTokenLength, pieces, scores: Float32Array.from(scores) };
}

/** Bytes as a "binary" string (one char per byte): exact keys for byte-string pieces. */
function bytesKey(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

interface Node {
  id: number;
  /** Original position of the leftmost character: increases along the list. */
  pos: number;
  prev: Node | null;
  next: Node | null;
  alive: boolean;
  /** Bumped whenever `id` changes, to spot stale heap entries. */
  version: number;
}

interface Candidate {
  left: Node;
  right: Node;
  leftVersion: number;
  rightVersion: number;
  id: number;
  score: number;
}

/** Max-heap on score, then min on left position (run.c's leftmost-wins tie rule). */
class CandidateHeap {
  private items: Candidate[] = [];
  get size(): number {
    return this.items.length;
  }
  private before(a: Candidate, b: Candidate): boolean {
    return a.score > b.score || (a.score === b.score && a.left.pos < b.left.pos);
  }
  push(c: Candidate): void {
    const h = this.items;
    h.push(c);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): Candidate | undefined {
    const h = this.items;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l], h[m])) m = l;
        if (r < h.length && this.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

export class Llama2cTokenizer implements Tokenizer {
  readonly source: string;
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly padTokenId: number | undefined = undefined;
  /** Token 0, when it is `<unk>`; encode never emits it (unknown characters fall back to byte tokens). */
  readonly unkTokenId: number | undefined;
  readonly maxTokenLength: number;
  private readonly pieces: Uint8Array[];
  private readonly pieceKeys: string[];
  private readonly scores: Float32Array;
  private readonly lookup: Map<string, number>;
  private readonly byteValue: Int16Array;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(vocab: Llama2cVocab, source: string) {
    this.source = source;
    this.pieces = vocab.pieces;
    this.scores = vocab.scores;
    this.maxTokenLength = vocab.maxTokenLength;
    this.vocabSize = vocab.pieces.length;
    this.bosTokenId = this.vocabSize > BOS ? BOS : undefined;
    this.eosTokenId = this.vocabSize > EOS ? EOS : undefined;
    this.pieceKeys = vocab.pieces.map(bytesKey);
    this.unkTokenId = this.pieceKeys[UNK] === '<unk>' ? UNK : undefined;
    this.lookup = new Map();
    this.byteValue = new Int16Array(this.vocabSize).fill(-1);
    for (let id = 0; id < this.vocabSize; id++) {
      const key = this.pieceKeys[id];
      if (!this.lookup.has(key)) this.lookup.set(key, id);
      const m = BYTE_PIECE.exec(key);
      if (m) this.byteValue[id] = parseInt(m[1], 16);
    }
  }

  static fromFile(path: string, options: Llama2cTokenizerOptions = {}): Llama2cTokenizer {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new TokenizerError(`${path}: cannot read llama2.c tokenizer: ${(e as Error).message}`);
    }
    const tok = new Llama2cTokenizer(parseLlama2cTokenizerBin(bytes, path), path);
    if (options.vocabSize !== undefined && options.vocabSize !== tok.vocabSize) {
      throw new TokenizerError(
        `${path}: llama2.c tokenizer has ${tok.vocabSize} tokens but vocabSize ${options.vocabSize} was expected`,
      );
    }
    return tok;
  }

  /** The score of a token (for tests and inspection). */
  score(id: number): number {
    this.check(id);
    return this.scores[id];
  }

  /** The raw piece of a token, bytes decoded as UTF-8 (e.g. " the", "<0x0A>", "\n<s>\n"). */
  piece(id: number): string {
    this.check(id);
    return this.decoder.decode(this.pieces[id]);
  }

  private byteToken(byte: number): number {
    const id = byte + BYTE_OFFSET;
    if (id >= this.vocabSize || this.byteValue[id] !== byte) {
      throw new TokenizerError(
        `${this.source}: byte 0x${byte.toString(16).padStart(2, '0').toUpperCase()} needs byte fallback, ` +
          `but token ${id} is not the piece <0x${byte.toString(16).padStart(2, '0').toUpperCase()}>`,
      );
    }
    return id;
  }

  encode(text: string): number[] {
    if (text.length === 0) return [];
    const bytes = new TextEncoder().encode(text);
    const ids: number[] = [];
    const positions: number[] = [];
    // Dummy prefix " " (run.c: str_lookup(" ")).
    const space = this.lookup.get(' ');
    ids.push(space ?? this.byteToken(0x20));
    positions.push(-1);
    // One UTF-8 codepoint at a time (run.c groups a lead byte with up to 3 continuation bytes).
    let i = 0;
    while (i < bytes.length) {
      let end = i + 1;
      while (end < bytes.length && (bytes[end] & 0xc0) === 0x80 && end - i < 4) end++;
      let key = '';
      for (let k = i; k < end; k++) key += String.fromCharCode(bytes[k]);
      const id = this.lookup.get(key);
      if (id !== undefined) {
        ids.push(id);
        positions.push(i);
      } else {
        for (let k = i; k < end; k++) {
          ids.push(this.byteToken(bytes[k]));
          positions.push(k);
        }
      }
      i = end;
    }
    return this.merge(ids, positions);
  }

  /** Greedy highest-score pair merging, as run.c's loop, in O(n log n). */
  private merge(ids: number[], positions: number[]): number[] {
    if (ids.length < 2) return ids;
    const nodes: Node[] = ids.map((id, k) => ({
      id,
      pos: positions[k],
      prev: null,
      next: null,
      alive: true,
      version: 0,
    }));
    for (let k = 0; k < nodes.length; k++) {
      nodes[k].prev = k > 0 ? nodes[k - 1] : null;
      nodes[k].next = k + 1 < nodes.length ? nodes[k + 1] : null;
    }
    const heap = new CandidateHeap();
    const consider = (left: Node, right: Node) => {
      const id = this.lookup.get(this.pieceKeys[left.id] + this.pieceKeys[right.id]);
      if (id === undefined) return;
      const score = this.scores[id];
      if (!(score > MIN_MERGE_SCORE)) return;
      heap.push({ left, right, leftVersion: left.version, rightVersion: right.version, id, score });
    };
    for (let k = 0; k + 1 < nodes.length; k++) consider(nodes[k], nodes[k + 1]);
    const head: Node = nodes[0];
    while (heap.size > 0) {
      const c = heap.pop()!;
      const { left, right } = c;
      if (!left.alive || !right.alive || left.next !== right) continue;
      if (left.version !== c.leftVersion || right.version !== c.rightVersion) continue;
      left.id = c.id;
      left.version++;
      right.alive = false;
      left.next = right.next;
      if (right.next) right.next.prev = left;
      if (left.prev) consider(left.prev, left);
      if (left.next) consider(left, left.next);
    }
    const out: number[] = [];
    for (let n: Node | null = head; n; n = n.next) out.push(n.id);
    return out;
  }

  private check(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new TokenizerError(`${this.source}: token id ${id} is out of range 0..${this.vocabSize - 1}`);
    }
  }

  /** The bytes run.c's decode(prev, token) prints. `previous` undefined = start of sequence = after BOS. */
  private tokenBytes(id: number, previous: number | undefined): Uint8Array {
    this.check(id);
    const byte = this.byteValue[id];
    if (byte >= 0) return Uint8Array.of(byte);
    const piece = this.pieces[id];
    const afterBos = previous === undefined || previous === BOS;
    if (afterBos && piece.length > 0 && piece[0] === 0x20) return piece.subarray(1);
    return piece;
  }

  decode(ids: number[]): string {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let previous: number | undefined;
    for (const id of ids) {
      if (id === BOS || id === EOS) {
        this.check(id);
      } else {
        const b = this.tokenBytes(id, previous);
        chunks.push(b);
        total += b.length;
      }
      previous = id;
    }
    const all = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      all.set(c, off);
      off += c.length;
    }
    return this.decoder.decode(all);
  }

  tokenToString(id: number, previous?: number): string {
    if (id === BOS || id === EOS) {
      this.check(id);
      return this.decoder.decode(this.pieces[id]).trim();
    }
    return this.decoder.decode(this.tokenBytes(id, previous));
  }
}

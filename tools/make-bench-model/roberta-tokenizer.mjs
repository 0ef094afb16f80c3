// Assembles a RoBERTa-layout byte-level BPE tokenizer.json from learned merges: special tokens,
// the 256-symbol byte alphabet, then one token per merge in rank order, optionally padded with
// unreachable filler tokens to a fixed vocabulary size (the model's embedding rows). Shared by
// tools/train-mini (emotion-mini's tokenizer) and tools/make-bench-model (the bench model's).

/** RoBERTa's special tokens in id order; `<mask>` either follows them or takes the last id. */
export const ROBERTA_SPECIALS = ['<s>', '<pad>', '</s>', '<unk>'];
export const MASK_TOKEN = '<mask>';

/**
 * The vocabulary (token -> id) and the merges it keeps. Ids: the specials 0..3, then `<mask>`
 * at 4 (`maskLast` false) or at `size - 1` (`maskLast` true, RoBERTa's layout), the alphabet,
 * then merges in rank order while ids remain; a merge is kept only when both parts are already
 * tokens and the merged token is new, so the kept list is a valid BPE model. With `pad`, the ids
 * left over are filled with `madeupwordNNNN` tokens (as fairseq's RoBERTa dictionary does), which
 * no merge produces.
 * @param {{alphabet: readonly string[], merges: ReadonlyArray<string | readonly [string, string]>, size: number, maskLast?: boolean, pad?: boolean}} options
 * @returns {{vocab: Record<string, number>, merges: [string, string][]}}
 */
export function assembleVocab({ alphabet, merges, size, maskLast = false, pad = false }) {
  const vocab = new Map();
  const add = (token) => {
    if (!vocab.has(token)) vocab.set(token, vocab.size);
  };
  ROBERTA_SPECIALS.forEach(add);
  if (!maskLast) add(MASK_TOKEN);
  const room = maskLast ? size - 1 : size;
  for (const ch of [...alphabet].sort()) add(ch);
  if (vocab.size > room) throw new Error(`vocabulary size ${size} is smaller than the specials and the byte alphabet (${vocab.size + (maskLast ? 1 : 0)})`);
  const kept = [];
  for (const m of merges) {
    if (vocab.size >= room) break;
    const [a, b] = typeof m === 'string' ? m.split(' ') : m;
    if (!vocab.has(a) || !vocab.has(b) || vocab.has(a + b)) continue;
    add(a + b);
    kept.push([a, b]);
  }
  for (let i = 0; pad && vocab.size < room; i++) add(`madeupword${String(i).padStart(4, '0')}`);
  if (maskLast) vocab.set(MASK_TOKEN, Math.max(vocab.size, room));
  return { vocab: Object.fromEntries(vocab), merges: kept };
}

/**
 * A tokenizer.json as Hugging Face's RoBERTa tokenizers have it: byte-level pre-tokenizer and
 * decoder, `<s> text </s>` post-processing, the BPE model over `vocab` and `merges`.
 * @param {Record<string, number>} vocab
 * @param {[string, string][]} merges
 */
export function robertaTokenizerJson(vocab, merges) {
  const specials = [...ROBERTA_SPECIALS, MASK_TOKEN];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content) => ({
      id: vocab[content],
      content,
      single_word: false,
      lstrip: content === MASK_TOKEN,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['</s>', vocab['</s>']],
      cls: ['<s>', vocab['<s>']],
      trim_offsets: true,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** A RoBERTa tokenizer_config.json (what transformers.js reads beside tokenizer.json). */
export function robertaTokenizerConfig(maxLength) {
  return {
    tokenizer_class: 'RobertaTokenizer',
    model_max_length: maxLength,
    bos_token: '<s>',
    eos_token: '</s>',
    pad_token: '<pad>',
    unk_token: '<unk>',
    mask_token: MASK_TOKEN,
    cls_token: '<s>',
    sep_token: '</s>',
  };
}

import type { Encoding } from '@glassbox/core';

/** A piece of the original text an attribution is given to. */
export interface TextUnit {
  text: string;
  /** [start, end) in UTF-16 indices of the original text. */
  start: number;
  end: number;
  /** Positions in the encoded sequence (special tokens excluded) this unit covers. */
  positions: number[];
}

/** Every non-special token, with its span in the text (special tokens are never shown). */
export function tokenUnits(encoding: Encoding): TextUnit[] {
  const units: TextUnit[] = [];
  encoding.ids.forEach((_, i) => {
    if (encoding.special[i]) return;
    const [start, end] = encoding.offsets[i];
    units.push({ text: encoding.text.slice(start, end), start, end, positions: [i] });
  });
  return mergeSameSpan(units);
}

/**
 * Byte-level BPE can split one character (an emoji, an accented letter) into several tokens with
 * the same span: they are one unit for display and for occlusion.
 */
function mergeSameSpan(units: TextUnit[]): TextUnit[] {
  const out: TextUnit[] = [];
  for (const u of units) {
    const last = out[out.length - 1];
    if (last && u.start < last.end) {
      last.end = Math.max(last.end, u.end);
      last.positions.push(...u.positions);
      continue;
    }
    out.push({ ...u, positions: [...u.positions] });
  }
  return out;
}

/** Subwords grouped into whitespace-separated words by their character offsets. */
export function wordUnits(encoding: Encoding): TextUnit[] {
  const words: TextUnit[] = [];
  for (const t of tokenUnits(encoding)) {
    const last = words[words.length - 1];
    if (last && t.start === last.end) {
      last.end = t.end;
      last.positions.push(...t.positions);
      last.text = encoding.text.slice(last.start, last.end);
    } else {
      words.push({ ...t, positions: [...t.positions] });
    }
  }
  return words;
}

/** Sums token scores into the units that cover them (attribution mass adds up). */
export function aggregateScores(tokenScores: ReadonlyMap<number, number>, units: readonly TextUnit[]): number[] {
  return units.map((u) => u.positions.reduce((s, p) => s + (tokenScores.get(p) ?? 0), 0));
}

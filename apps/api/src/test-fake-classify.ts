/**
 * A test double for the batcher's `process` function: labels each text by its length, records
 * every call, and fails any batch holding a text listed in `failOn`.
 */
export interface FakeClassify {
  (texts: readonly string[]): Promise<string[]>;
  readonly calls: string[][];
}

export function createFakeClassify(options: { failOn?: readonly string[]; gate?: Promise<void> } = {}): FakeClassify {
  const calls: string[][] = [];
  const fn = async (texts: readonly string[]): Promise<string[]> => {
    calls.push([...texts]);
    if (options.gate) await options.gate;
    else await Promise.resolve();
    const bad = texts.find((t) => options.failOn?.includes(t));
    if (bad !== undefined) throw new Error(`cannot classify ${bad}`);
    return texts.map((t) => `${t}:${t.length}`);
  };
  return Object.assign(fn, { calls });
}

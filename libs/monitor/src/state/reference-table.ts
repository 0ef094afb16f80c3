import type { ReferenceProfile } from '../reference-profile.js';
import { parseReferenceProfile } from '../reference-profile.js';
import type { StoreContext } from './context.js';
import type { MetaTable } from './meta-table.js';

/** Reference profiles, one per model, kept as meta rows `reference:<model id>`. */
export interface ReferenceTable {
  saveReference(profile: ReferenceProfile): void;
  loadReference(modelId: string, labels?: readonly string[]): ReferenceProfile | null;
}

export const REFERENCE_KEY_PREFIX = 'reference:';

export function referenceTable(ctx: StoreContext, meta: MetaTable): ReferenceTable {
  return {
    saveReference(profile) {
      ctx.guard('write the reference profile', () => meta.set(`${REFERENCE_KEY_PREFIX}${profile.model.id}`, JSON.stringify(profile)));
    },
    loadReference(modelId, labels) {
      const text = ctx.guard('read the reference profile', () => meta.get(`${REFERENCE_KEY_PREFIX}${modelId}`));
      return text === null ? null : parseReferenceProfile(JSON.parse(text), { modelId, ...(labels && { labels }) });
    },
  };
}

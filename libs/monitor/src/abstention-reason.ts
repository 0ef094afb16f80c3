/**
 * Maps an abstention reason to a bounded metric attribute value. Core's pipeline puts either the
 * rule's own text (which may carry numbers: "max probability 0.41 < 0.55") or, when the rule
 * gives none, the rule's kebab-case name into `abstentionReason`. Only rule names may become
 * attribute values, so the series count stays bounded:
 *
 * - a reason equal to, or starting with, a name in `known` maps to that name;
 * - an unknown reason that looks like a rule name (kebab-case, at most 64 characters) maps to
 *   itself, for the first `maxNames` distinct ones;
 * - anything else (free text, or names past the cap) maps to "other"; a null reason to "unknown".
 */
export function createReasonClassifier(known: readonly string[] = [], maxNames = 32): (reason: string | null) => string {
  const names = [...known].sort((a, b) => b.length - a.length);
  const seen = new Set<string>();
  return (reason) => {
    if (reason === null || reason === '') return 'unknown';
    const match = names.find((name) => reason === name || reason.startsWith(name));
    if (match !== undefined) return match;
    if (/^[a-z][a-z0-9-]{0,63}$/.test(reason) && (seen.has(reason) || seen.size < maxNames)) {
      seen.add(reason);
      return reason;
    }
    return 'other';
  };
}

import type { AuditEntry } from './audit-log.js';

/** An audit entry for tests: a served joy prediction of a two-label toy model. Test-only. */
export function auditEntry(id: string, time = '2026-01-01T00:00:00.000Z'): AuditEntry {
  return {
    id,
    time,
    model: 'emotion-mini',
    model_id: 'sha256:model-a',
    calibration_id: null,
    calibrated: false,
    label: 'joy',
    score: 0.9,
    probabilities: { joy: 0.9, anger: 0.1 },
    abstained: false,
    abstention_reason: null,
    truncated: false,
    feedback: null,
  };
}

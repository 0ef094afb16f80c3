/** ONNX Runtime profiles (Chrome trace events) summarised by operator type. */

/** The fields of a trace event this summary reads. */
export interface TraceEvent {
  cat?: string;
  name?: string;
  /** Microseconds. */
  dur?: number;
  args?: { op_name?: string };
}

export interface OpTime {
  op: string;
  /** Total microseconds over every run of this operator type. */
  micros: number;
  /** Share of all operator time. */
  share: number;
  runs: number;
}

/** Operator time by op type, largest first (only `Node` events ending in `_kernel_time` count). */
export function opTimes(events: readonly TraceEvent[]): OpTime[] {
  const byOp = new Map<string, { micros: number; runs: number }>();
  let total = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || typeof e.dur !== 'number') continue;
    const op = e.args?.op_name ?? 'unknown';
    const entry = byOp.get(op) ?? { micros: 0, runs: 0 };
    entry.micros += e.dur;
    entry.runs += 1;
    byOp.set(op, entry);
    total += e.dur;
  }
  return [...byOp.entries()]
    .map(([op, { micros, runs }]) => ({ op, micros, runs, share: total > 0 ? micros / total : 0 }))
    .sort((a, b) => b.micros - a.micros);
}

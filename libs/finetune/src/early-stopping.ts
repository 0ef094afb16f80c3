export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping (default 3). */
  patience?: number;
  /** Smallest decrease of the monitored loss that counts as an improvement (default 1e-4). */
  minDelta?: number;
}

export interface EarlyStopping {
  /** Records an epoch's validation loss; `improved` when it is the best so far, `stop` when patience ran out. */
  update(epoch: number, loss: number): { improved: boolean; stop: boolean };
  readonly bestEpoch: number;
  readonly bestLoss: number;
}

/** Early stopping on a loss to minimise (Keras' EarlyStopping with restore_best_weights). */
export function createEarlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  const patience = options.patience ?? 3;
  const minDelta = options.minDelta ?? 1e-4;
  let bestEpoch = -1;
  let bestLoss = Infinity;
  let waited = 0;
  return {
    update(epoch, loss) {
      const improved = Number.isFinite(loss) && loss < bestLoss - minDelta;
      if (improved) {
        bestEpoch = epoch;
        bestLoss = loss;
        waited = 0;
      } else waited++;
      return { improved, stop: waited >= patience };
    },
    get bestEpoch() {
      return bestEpoch;
    },
    get bestLoss() {
      return bestLoss;
    },
  };
}

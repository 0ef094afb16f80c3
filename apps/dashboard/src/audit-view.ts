import { api, ApiCallError, type AuditEntry, type Prediction } from './api-client.js';
import { COLORS } from './charts/frame.js';
import { groupedBars, type BarSeries } from './charts/grouped-bars.js';
import { el, notice, pct, section, stat } from './dom.js';
import { renderExplanation } from './explanation-view.js';
import { recentItem } from './recent-item.js';

const EXAMPLE = 'I am so happy today, thank you for the lovely surprise!';

/** What a prediction view needs: from /v1/predict, or an audit-trail entry. */
interface Shown {
  id: string;
  text: string | null;
  label: string;
  score: number;
  probabilities: Record<string, number>;
  raw?: Record<string, number>;
  calibrated: boolean;
  abstained: boolean;
  reason: string | null;
  conformal?: string[];
  time?: string;
  truncated: boolean;
  /** Tokens of the text (special tokens included) before truncation; absent from older audit entries. */
  tokens?: number;
}

/** What the server does beyond classifying: read once from GET /v1/plugins and GET /info. */
interface ServerTraits {
  /** An abstention rule is active (serve --abstain, or the bundle's certified rule). */
  abstains: boolean | null;
  /** The most tokens the model reads, special tokens included. */
  maxTokens: number | null;
}

const fromPrediction = (p: Prediction, text: string, calibrated: boolean): Shown => ({
  id: p.id,
  text,
  label: p.label,
  score: p.score,
  probabilities: p.probabilities,
  raw: p.raw?.probabilities,
  calibrated,
  abstained: p.abstained,
  reason: p.abstention_reason,
  conformal: p.conformal_set,
  truncated: p.truncated,
  tokens: p.tokens,
});

const fromEntry = (e: AuditEntry): Shown => ({
  id: e.id,
  text: e.text ?? null,
  label: e.label,
  score: e.score,
  probabilities: e.probabilities,
  calibrated: e.calibrated,
  abstained: e.abstained,
  reason: e.abstention_reason,
  time: e.time,
  truncated: e.truncated,
  tokens: e.tokens,
});

const tagged = (node: HTMLElement, className: string) => {
  node.classList.add(className);
  return node;
};

const errorText = (error: unknown) => (error instanceof ApiCallError ? `${error.errorType}: ${error.message}` : String(error));

/** "truncated: first 128 of 412 tokens used" (both counts include the model's special tokens). */
export function truncationText(tokens: number | undefined, maxTokens: number | null): string {
  if (tokens !== undefined && maxTokens !== null) return `truncated: first ${maxTokens} of ${tokens} tokens used`;
  if (maxTokens !== null) return `truncated: only the first ${maxTokens} tokens were used`;
  return 'truncated: the text was longer than the model reads; only its start was used';
}

export function auditView(root: HTMLElement): { refresh(): void } {
  const input = el('textarea', { attrs: { id: 'audit-text', rows: '4', 'aria-label': 'Text to classify', placeholder: 'Type a text to classify and explain' } });
  input.value = EXAMPLE;
  const button = el('button', { text: 'Classify & explain', attrs: { id: 'audit-submit', type: 'submit' } });
  // The explanation methods: the server's registered explainers (GET /v1/plugins), its defaults ticked.
  const methodBoxes = el('div', { class: 'row methods', attrs: { id: 'audit-methods', role: 'group', 'aria-label': 'Explanation methods' } });
  const form = el('form', { class: 'audit-form' }, [el('label', { text: 'Text', attrs: { for: 'audit-text' } }), input, methodBoxes, el('div', { class: 'row' }, [button])]);
  const chosenMethods = (): string[] | undefined => {
    const ticked = [...methodBoxes.querySelectorAll<HTMLInputElement>('input[type=checkbox]')].filter((b) => b.checked).map((b) => b.value);
    return ticked.length > 0 ? ticked : undefined;
  };
  const traits: ServerTraits = { abstains: null, maxTokens: null };
  void api.info().then(
    (info) => (traits.maxTokens = info.max_input_length),
    () => undefined, // an older server: truncation is said without the count
  );
  void api.plugins().then(
    ({ plugins }) => {
      traits.abstains = plugins.some((p) => p.kind === 'abstention' && p.active === true);
      for (const p of plugins.filter((x) => x.kind === 'explainer' && x.available)) {
        const box = el('input', { attrs: { type: 'checkbox', value: p.name, id: `method-${p.name}` } });
        box.checked = p.default === true;
        methodBoxes.append(el('label', { class: 'method-choice', attrs: { title: p.description, for: `method-${p.name}` } }, [box, el('span', { text: ` ${p.name}` })]));
      }
    },
    () => undefined, // an older server: its default methods run
  );
  const recent = el('ol', { class: 'recent', attrs: { id: 'recent-predictions' } });
  const recentNote = el('p', { class: 'muted' });
  const result = el('div', { attrs: { id: 'audit-result' } }, [notice('empty', 'No prediction yet', 'Classify a text, or open one of the recent predictions.')]);
  const explanations = el('div', { attrs: { id: 'audit-explanations' } });

  root.append(
    el('div', { class: 'grid audit-grid' }, [
      el('div', { class: 'col' }, [tagged(section('Classify a text', form), 'card-form'), tagged(section('Recent predictions', recentNote, recent), 'card-recent')]),
      el('div', { class: 'col wide' }, [tagged(section('Prediction', result), 'card-prediction'), tagged(section('Explanations', explanations), 'card-explanations')]),
    ]),
  );

  const showPrediction = (s: Shown) => {
    result.replaceChildren();
    if (s.text !== null) result.append(el('blockquote', { class: 'input-text', text: s.text, attrs: { id: 'audit-input-echo' } }));
    // Answered / Abstained only where an abstention rule decides; otherwise say there is none.
    const decision = s.abstained
      ? el('div', { class: 'decision abstain', attrs: { id: 'audit-decision' } }, [el('strong', { text: 'Abstained' }), el('span', { text: ` — ${s.reason ?? 'no reason given'}` })])
      : traits.abstains === null
        ? null
        : traits.abstains
        ? el('div', { class: 'decision accept', attrs: { id: 'audit-decision' } }, [el('strong', { text: 'Answered' }), el('span', { text: ` — ${s.label} passed the abstention rule` })])
        : el('p', {
            class: 'muted',
            attrs: { id: 'audit-no-abstention' },
            text: 'No abstention rule on this server: every text gets an answer. Start it with --abstain certified (with a calibration that carries a certificate) or --abstain max-probability:0.5 to abstain on doubtful texts.',
          });
    result.append(
      el('div', { class: 'stats' }, [
        stat('label', s.label),
        stat(s.calibrated ? 'calibrated confidence' : 'raw confidence', pct(s.score)),
        s.conformal ? stat('conformal set', `{${s.conformal.join(', ')}}`, 'LAC conformal prediction set') : null,
      ]),
    );
    if (decision) result.append(decision);
    if (!s.calibrated) {
      const none = notice(
        'empty',
        'No calibration loaded',
        'These are the raw softmax probabilities, with no conformal set. Start the server with --calibration FILE (a file from `glassbox calibrate`; the embedded model uses its bundled calibration.json unless --no-calibration).',
      );
      none.id = 'audit-no-calibration';
      result.append(none);
    }
    if (s.truncated) result.append(el('p', { class: 'truncation', attrs: { id: 'audit-truncation' }, text: truncationText(s.tokens, traits.maxTokens) }));
    const labels = Object.keys(s.probabilities);
    const series: BarSeries[] = s.raw
      ? [
          { name: 'raw', color: COLORS.raw, values: s.raw },
          { name: 'calibrated', color: COLORS.calibrated, values: s.probabilities },
        ]
      : [{ name: s.calibrated ? 'calibrated' : 'raw', color: COLORS.calibrated, values: s.probabilities }];
    const chart = el('div', { class: 'chart-box', attrs: { id: 'audit-probabilities' } });
    result.append(chart);
    groupedBars(chart, { title: 'Class probabilities', categories: labels, series, xLabel: 'label', yLabel: 'probability', highlight: s.label });
    if (s.time) result.append(el('p', { class: 'muted', text: `served ${new Date(s.time).toLocaleString()} · id ${s.id}` }));
  };

  /**
   * Explains with faithfulness scores. A refusal is said with its code and message, never retried
   * silently; a 4xx offers to explain again without faithfulness (e.g. one over the server's forward-pass budget).
   */
  const explain = async (text: string, faithfulness = true) => {
    const methods = chosenMethods();
    explanations.replaceChildren(notice('info', 'Explaining…', `${methods ? methods.join(', ') : 'The default methods'}${faithfulness ? ' with faithfulness scores: many forward passes' : ', without faithfulness scores'}.`));
    try {
      renderExplanation(explanations, await (faithfulness ? api.explain(text, methods) : api.explainPlain(text, methods)));
    } catch (error) {
      const box = notice('error', faithfulness ? 'Could not explain this text with faithfulness scores' : 'Could not explain this text', errorText(error));
      box.setAttribute('id', 'audit-explain-error');
      if (faithfulness && error instanceof ApiCallError && error.status >= 400 && error.status < 500) {
        const retry = el('button', { class: 'secondary', text: 'Explain without faithfulness', attrs: { type: 'button', id: 'audit-explain-plain' } });
        retry.addEventListener('click', () => void explain(text, false));
        box.append(retry);
      }
      explanations.replaceChildren(box);
    }
  };

  const loadRecent = async () => {
    try {
      const page = await api.predictions(15);
      recent.replaceChildren(
        ...page.predictions.map((e) => {
          const b = recentItem(e);
          b.addEventListener('click', () => void openEntry(e.id));
          return el('li', {}, [b]);
        }),
      );
      recentNote.textContent = page.size === 0 ? 'No predictions yet.' : `${page.size} in the audit trail; newest first.`;
    } catch (error) {
      recentNote.textContent = `Could not list predictions (${errorText(error)}).`;
    }
  };

  const openEntry = async (id: string) => {
    try {
      const entry = await api.prediction(id);
      showPrediction(fromEntry(entry));
      if (entry.text !== undefined) await explain(entry.text);
      else explanations.replaceChildren(notice('empty', 'Text not stored', 'This server keeps no texts (storeText off), so it cannot be explained again.'));
    } catch (error) {
      result.replaceChildren(notice('error', 'Could not open the prediction', errorText(error)));
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value;
    if (text.trim() === '') return;
    button.disabled = true;
    void (async () => {
      try {
        const res = await api.predict(text);
        showPrediction(fromPrediction(res.predictions[0], text, res.calibrated));
        void loadRecent();
        await explain(text);
      } catch (error) {
        result.replaceChildren(notice('error', 'Could not classify the text', errorText(error)));
      } finally {
        button.disabled = false;
      }
    })();
  });

  return { refresh: () => void loadRecent() };
}

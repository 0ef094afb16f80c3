import { api, ApiCallError, type AuditEntry, type Explanation, type Prediction } from './api-client.js';
import { COLORS } from './charts/frame.js';
import { groupedBars, type BarSeries } from './charts/grouped-bars.js';
import { highlightText } from './charts/highlight.js';
import { el, notice, num, pct, section, stat } from './dom.js';

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
});

const tagged = (node: HTMLElement, className: string) => {
  node.classList.add(className);
  return node;
};

const errorText = (error: unknown) => (error instanceof ApiCallError ? `${error.errorType}: ${error.message}` : String(error));

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
  void api.plugins().then(
    ({ plugins }) => {
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
    const decision = s.abstained
      ? el('div', { class: 'decision abstain', attrs: { id: 'audit-decision' } }, [el('strong', { text: 'Abstained' }), el('span', { text: ` — ${s.reason ?? 'no reason given'}` })])
      : el('div', { class: 'decision accept', attrs: { id: 'audit-decision' } }, [el('strong', { text: 'Answered' }), el('span', { text: ` — ${s.label}` })]);
    result.append(
      el('div', { class: 'stats' }, [
        stat('label', s.label),
        stat(s.calibrated ? 'calibrated confidence' : 'confidence', pct(s.score)),
        stat('conformal set', s.conformal ? `{${s.conformal.join(', ')}}` : '–', 'LAC conformal prediction set'),
      ]),
      decision,
    );
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

  const showExplanation = (x: Explanation) => {
    explanations.replaceChildren();
    const methods = Object.keys(x.word_attributions);
    const head = el('p', { class: 'muted', text: `Explaining “${x.target}”. Red words push towards it, blue words away.` });
    explanations.append(head);
    for (const method of methods) {
      const f = x.faithfulness?.[method];
      const box = el('div', { class: 'method', attrs: { 'data-method': method } }, [
        el('h3', { text: method + (x.class_agnostic.includes(method) ? ' (class-agnostic)' : '') }),
      ]);
      const body = el('div', { class: 'method-body' });
      highlightText(body, x, method);
      box.append(
        body,
        el('div', { class: 'stats small' }, [
          stat('comprehensiveness AOPC', num(f?.comprehensiveness_aopc), 'Drop in the target probability when the top words are removed (higher: more faithful)'),
          stat('sufficiency AOPC', num(f?.sufficiency_aopc), 'Drop when only the top words are kept (lower: more faithful)'),
        ]),
      );
      explanations.append(box);
    }
    const random = x.faithfulness?.['random'];
    if (random) explanations.append(el('p', { class: 'muted', text: `Random ranking baseline: comprehensiveness ${num(random.comprehensiveness_aopc)}, sufficiency ${num(random.sufficiency_aopc)}.` }));
    for (const pair of x.agreement?.pairs ?? []) {
      const [a, b] = pair.methods;
      explanations.append(el('p', { class: 'muted', text: `Agreement ${a} / ${b}: Kendall τ ${num(pair.kendall_tau)}, top-${x.agreement?.k} overlap ${pct(pair.top_k_overlap, 0)}.` }));
    }
  };

  const explain = async (text: string) => {
    const methods = chosenMethods();
    explanations.replaceChildren(notice('info', 'Explaining…', `${methods ? methods.join(', ') : 'The default methods'} with faithfulness scores: many forward passes.`));
    try {
      let x: Explanation;
      try {
        x = await api.explain(text, methods);
      } catch (error) {
        // Faithfulness needs the whole text in one pass; explain without it otherwise.
        if (!(error instanceof ApiCallError) || error.status >= 500 || error.status === 0) throw error;
        x = await api.explainPlain(text, methods);
      }
      showExplanation(x);
    } catch (error) {
      explanations.replaceChildren(notice('error', 'Could not explain this text', errorText(error)));
    }
  };

  const loadRecent = async () => {
    try {
      const page = await api.predictions(15);
      recent.replaceChildren(
        ...page.predictions.map((e) => {
          const b = el('button', { class: 'recent-item', attrs: { type: 'button', 'data-id': e.id } }, [
            el('span', { class: `pill ${e.abstained ? 'pill-warn' : ''}`, text: e.abstained ? 'abstained' : e.label }),
            el('span', { class: 'recent-text', text: e.text ?? `${e.label} ${pct(e.score)}` }),
            el('span', { class: 'muted', text: new Date(e.time).toLocaleTimeString() }),
          ]);
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

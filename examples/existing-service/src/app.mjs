// The existing service: an express app with routes of its own, into which glassbox is embedded.
import express from 'express';
import { createApiServer } from '@glassbox/api';
import { modelDir as emotionMini } from '@glassbox/emotion-mini';
import { createToolkit } from './glassbox-toolkit.mjs';

/** Where the second ensemble member lives (emotion-mini-b ships in the glassbox repository, not on npm). */
export function secondModelDir() {
  return process.env.SECOND_MODEL_DIR ?? new URL('../../../models/emotion-mini-b', import.meta.url).pathname;
}

/**
 * @param {{ meterProvider: import('@opentelemetry/sdk-metrics').MeterProvider }} options
 */
export async function createHostApp({ meterProvider }) {
  const meter = meterProvider.getMeter('existing-service');
  // glassbox's own routes and dashboard, with its instruments on the host's meter.
  const glassbox = await createApiServer({
    modelDir: emotionMini,
    statePath: ':memory:',
    meter: meterProvider.getMeter('glassbox'),
    plugins: [new URL('../plugins/neutral-floor-abstention.mjs', import.meta.url).pathname],
    abstain: 'neutral-floor:0.8',
  });
  const toolkit = await createToolkit({ modelDirs: [emotionMini, secondModelDir()], meter });
  const handled = meter.createCounter('reviews.handled', { description: 'Reviews the host classified' });

  const app = express();
  app.use(express.json());
  app.get('/health', (_req, res) => res.json({ status: 'ok', service: 'existing-service' }));

  // The host's own handler, calling the libraries directly.
  app.post('/reviews', async (req, res, next) => {
    try {
      const text = typeof req.body?.text === 'string' ? req.body.text : '';
      if (text.trim() === '') return res.status(400).json({ error: { code: 'EMPTY_REVIEW', message: 'text is required' } });
      const [prediction] = await toolkit.classify([text]);
      handled.add(1, { abstained: String(prediction.abstained) });
      const explanation = req.query.explain === '1' ? await toolkit.explain(text) : null;
      res.json({
        label: prediction.abstained ? null : prediction.label,
        score: prediction.score,
        abstained: prediction.abstained,
        reason: prediction.abstentionReason,
        calibrator: prediction.calibrator,
        explanation,
        drift: { observed: toolkit.monitor.status().observed },
      });
    } catch (error) {
      next(error);
    }
  });

  // A bare /glassbox gets the dashboard's folder URL (its assets and API calls are relative).
  app.use('/glassbox', glassbox.app);

  return {
    app,
    glassbox,
    toolkit,
    async close() {
      await toolkit.dispose();
      await glassbox.close();
    },
  };
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Per-prediction feedback tokens: HMAC-SHA256 of the prediction id under a server secret,
 * base64url. /v1/predict returns one with each prediction; POST /v1/feedback accepts it in place
 * of the API key for that prediction only.
 */
export interface FeedbackTokens {
  sign(predictionId: string): string;
  /** Constant-time check of a token against a prediction id. */
  verify(predictionId: string, token: string): boolean;
}

export function createFeedbackTokens(secret: Buffer): FeedbackTokens {
  if (secret.length < 16) throw new RangeError('the feedback token secret needs at least 16 bytes');
  const mac = (id: string) => createHmac('sha256', secret).update(`glassbox-feedback:${id}`).digest();
  return {
    sign: (id) => mac(id).toString('base64url'),
    verify(id, token) {
      const given = Buffer.from(token, 'utf8');
      const expected = Buffer.from(mac(id).toString('base64url'), 'utf8');
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

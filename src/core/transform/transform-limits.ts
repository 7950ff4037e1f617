/** Bounds on what one source's transform may cost. All configurable; the controller maps its config onto these. */
export interface TransformLimits {
  /** rules per source */
  maxRules: number;
  /** bytes of the `P/transform` annotation text */
  maxBytes: number;
  /** budget for one template render, checked after the (synchronous) render */
  renderTimeoutMs: number;
  /** bytes of one rendered template or helper result */
  maxOutputBytes: number;
}

export const DEFAULT_TRANSFORM_LIMITS: TransformLimits = Object.freeze({
  maxRules: 50,
  maxBytes: 10 * 1024,
  renderTimeoutMs: 100,
  maxOutputBytes: 64 * 1024,
});

export { benchTransform } from './bench-transform.js';
export {
  type CompileResult,
  compileTransform,
  type TransformContext,
  type TransformProgram,
  type TransformSkip,
} from './compile-transform.js';
export { HELPER_NAMES } from './template-engine.js';
export { transformContextFor } from './transform-context.js';
export { TransformError } from './transform-error.js';
export { DEFAULT_TRANSFORM_LIMITS, type TransformLimits } from './transform-limits.js';

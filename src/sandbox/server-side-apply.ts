import { clone, isObject, type Json, type JsonObject, mergePatch } from './json-patches.js';
import { strategicMerge } from './strategic-merge.js';

/**
 * A simplified server-side apply: the applied configuration is merged into the live object (strategic
 * merge for built-ins, JSON merge for custom resources), and fields this manager applied last time but
 * omits now are removed. Field ownership conflicts between managers are not modelled (never 409).
 */
export function serverSideApply(
  live: JsonObject,
  applied: JsonObject,
  previous: JsonObject | undefined,
  strategic: boolean,
): JsonObject {
  const pruned = previous ? prune(clone(live), previous, applied) : clone(live);
  const merged = strategic ? strategicMerge(pruned, applied) : mergePatch(pruned, applied);
  return merged as JsonObject;
}

/** Deletes from `live` every map field present in `previous` and absent from `applied`. */
function prune(live: Json, previous: Json, applied: Json): Json {
  if (!isObject(live) || !isObject(previous)) return live;
  const now = isObject(applied) ? applied : {};
  for (const [k, v] of Object.entries(previous)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'name' || k === 'namespace') continue;
    if (!(k in now)) delete live[k];
    else if (isObject(v)) live[k] = prune(live[k] ?? null, v, now[k] ?? null);
  }
  return live;
}

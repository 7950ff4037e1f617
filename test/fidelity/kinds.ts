import type { KindSpec } from './kind-spec.js';
import { configMap, dockerConfigJson, opaque, saToken, tls } from './kinds-config.js';
import { coreEvent, endpointSlice, eventsV1, lease } from './kinds-coordination.js';
import { deployment, pdb } from './kinds-policy.js';
import { externalName, namespace, selectorless, service } from './kinds-services.js';
import { widget } from './kinds-widget.js';

export { apiPrefix, b64, type KindSpec, type Obj } from './kind-spec.js';
export { GIZMO_CRD } from './kinds-gizmo.js';
export { WIDGET_CRD, WIDGET_GROUP } from './kinds-widget.js';

/**
 * The kinds of the catalogue (the tables in kinds-*.ts); catalogue.ts crosses them with the verbs and the generic
 * bodies.
 */
/** Every kind of the catalogue, in report order. */
export const KINDS: KindSpec[] = [
  configMap,
  opaque,
  tls,
  dockerConfigJson,
  saToken,
  service,
  externalName,
  selectorless,
  deployment,
  namespace,
  lease,
  endpointSlice,
  pdb,
  coreEvent,
  eventsV1,
  widget,
];

import { type Cause, fieldErrors } from './field-errors.js';
import { labelSelectorCauses, selectorEmpty, selectorMatches, selectorUnparsable } from './label-selector.js';
import { podTemplateCauses } from './pod-spec.js';

/**
 * apps/v1 Deployment and policy/v1 PodDisruptionBudget validation (pkg/apis/apps/validation ValidateDeploymentSpec,
 * ValidatePodTemplateSpecForReplicaSet, ValidateDeploymentStrategy; pkg/apis/policy/validation
 * ValidatePodDisruptionBudgetSpec), on the defaulted object. Values of internal types are quoted as the real server
 * quotes them: JSON of the Go struct, with Go's field names where the internal type has no json tags.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const NEGATIVE = 'must be greater than or equal to 0';

function nonNegative(field: string, v: unknown): Cause[] {
  return typeof v === 'number' && v < 0 ? [fieldErrors.invalid(field, v, NEGATIVE)] : [];
}

const PERCENT = /^[0-9]+%$/;
const PERCENT_ERROR =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** ValidatePositiveIntOrPercent */
export function intOrPercentCauses(v: unknown, field: string): Cause[] {
  if (typeof v === 'string') return PERCENT.test(v) ? [] : [fieldErrors.invalid(field, v, PERCENT_ERROR)];
  return nonNegative(field, v);
}

function intOrPercentValue(v: unknown): number {
  if (typeof v === 'string') return PERCENT.test(v) ? Number(v.slice(0, -1)) : 0;
  return typeof v === 'number' ? v : 0;
}

/** IsNotMoreThan100Percent */
export function notOver100(v: unknown, field: string): Cause[] {
  if (typeof v !== 'string' || !PERCENT.test(v) || Number(v.slice(0, -1)) <= 100) return [];
  return [fieldErrors.invalid(field, v, 'must not be greater than 100%')];
}

function strategyCauses(strategy: Obj): Cause[] {
  const at = 'spec.strategy';
  const type = strategy.type;
  if (type === 'Recreate') {
    return strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null
      ? [
          fieldErrors.forbidden(
            `${at}.rollingUpdate`,
            "may not be specified when strategy `type` is 'Recreate'",
          ),
        ]
      : [];
  }
  if (type === 'RollingUpdate') {
    const ru = strategy.rollingUpdate;
    if (!isObj(ru))
      return [fieldErrors.required(`${at}.rollingUpdate`, 'this should be defaulted and never be nil')];
    const causes = [
      ...intOrPercentCauses(ru.maxUnavailable, `${at}.rollingUpdate.maxUnavailable`),
      ...intOrPercentCauses(ru.maxSurge, `${at}.rollingUpdate.maxSurge`),
    ];
    if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0)
      causes.push(
        fieldErrors.invalid(
          `${at}.rollingUpdate.maxUnavailable`,
          ru.maxUnavailable ?? 0,
          'may not be 0 when `maxSurge` is 0',
        ),
      );
    causes.push(...notOver100(ru.maxUnavailable, `${at}.rollingUpdate.maxUnavailable`));
    return causes;
  }
  // the internal DeploymentStrategy has no json tags: Go's field names
  const value = JSON.stringify({ Type: type ?? '', RollingUpdate: strategy.rollingUpdate ?? null });
  return [
    {
      field: at,
      message: `Unsupported value: ${value}: supported values: "Recreate", "RollingUpdate"`,
      type: 'FieldValueNotSupported',
    },
  ];
}

/** ValidateDeploymentSpec (create and update alike; the selector's immutability is deploymentUpdateCauses'). */
export function deploymentCauses(obj: Obj): Cause[] {
  const spec = isObj(obj.spec) ? obj.spec : {};
  const causes: Cause[] = [...nonNegative('spec.replicas', spec.replicas)];
  const selector = spec.selector;
  if (!isObj(selector)) causes.push(fieldErrors.required('spec.selector'));
  else {
    causes.push(...labelSelectorCauses(selector, 'spec.selector'));
    if (selectorEmpty(selector))
      causes.push(fieldErrors.invalid('spec.selector', selector, 'empty selector is invalid for deployment'));
  }
  const template = isObj(spec.template) ? spec.template : {};
  if (selectorUnparsable(selector))
    causes.push(fieldErrors.invalid('spec.selector', selector, 'invalid label selector'));
  else {
    const labels =
      isObj(template.metadata) && isObj(template.metadata.labels) ? template.metadata.labels : undefined;
    // a nil selector selects nothing (and so matches no labels); an empty one everything
    if (!selectorEmpty(selector) && !selectorMatches(selector, labels))
      causes.push({
        field: 'spec.template.metadata.labels',
        message: `Invalid value: ${labels === undefined ? 'null' : JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
        type: 'FieldValueInvalid',
      });
    causes.push(...podTemplateCauses(template, 'spec.template'));
    const tspec = isObj(template.spec) ? template.spec : {};
    if (tspec.restartPolicy !== 'Always')
      causes.push(
        fieldErrors.notSupported('spec.template.spec.restartPolicy', tspec.restartPolicy ?? '', ['Always']),
      );
    if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null)
      causes.push(
        fieldErrors.forbidden(
          'spec.template.spec.activeDeadlineSeconds',
          'activeDeadlineSeconds in ReplicaSet is not Supported',
        ),
      );
  }
  causes.push(...strategyCauses(isObj(spec.strategy) ? spec.strategy : {}));
  causes.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  causes.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  if (typeof spec.progressDeadlineSeconds === 'number') {
    causes.push(...nonNegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds));
    const minReady = typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
    if (spec.progressDeadlineSeconds <= minReady)
      causes.push(
        fieldErrors.invalid(
          'spec.progressDeadlineSeconds',
          spec.progressDeadlineSeconds,
          'must be greater than minReadySeconds',
        ),
      );
  }
  return causes;
}

/** ValidateDeploymentUpdate's own rule: the selector is immutable. */
export function deploymentUpdateCauses(old: Obj, next: Obj): Cause[] {
  const o = isObj(old.spec) ? old.spec.selector : undefined;
  const n = isObj(next.spec) ? next.spec.selector : undefined;
  return JSON.stringify(o ?? null) === JSON.stringify(n ?? null)
    ? []
    : [fieldErrors.invalid('spec.selector', n ?? null, 'field is immutable')];
}

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

/** ValidatePodDisruptionBudgetSpec (the strategy validates no metadata: rest/create.go's generic check does). */
export function podDisruptionBudgetCauses(obj: Obj): Cause[] {
  const spec = isObj(obj.spec) ? obj.spec : {};
  const causes: Cause[] = [];
  const has = (k: string) => spec[k] !== undefined && spec[k] !== null;
  if (has('minAvailable') && has('maxUnavailable')) {
    // the internal PodDisruptionBudgetSpec has no json tags: Go's field names
    const value = JSON.stringify({
      MinAvailable: spec.minAvailable,
      Selector: spec.selector ?? null,
      MaxUnavailable: spec.maxUnavailable,
      UnhealthyPodEvictionPolicy: spec.unhealthyPodEvictionPolicy ?? null,
    });
    causes.push({
      field: 'spec',
      message: `Invalid value: ${value}: minAvailable and maxUnavailable cannot be both set`,
      type: 'FieldValueInvalid',
    });
  }
  for (const k of ['minAvailable', 'maxUnavailable']) {
    if (!has(k)) continue;
    causes.push(...intOrPercentCauses(spec[k], `spec.${k}`), ...notOver100(spec[k], `spec.${k}`));
  }
  causes.push(...labelSelectorCauses(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (typeof policy === 'string' && !EVICTION_POLICIES.includes(policy))
    causes.push(fieldErrors.notSupported('spec.unhealthyPodEvictionPolicy', policy, EVICTION_POLICIES));
  return causes;
}

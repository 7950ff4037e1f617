import { type Cause, fieldErrors, isQualifiedName, isValidLabelValue } from './field-errors.js';
import { labelCauses } from './object-meta.js';

/** metav1 LabelSelector validation and matching (apimachinery meta/v1/validation ValidateLabelSelector, helpers.go). */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Requirement {
  key?: string;
  operator?: string;
  values?: string[];
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export function labelSelectorCauses(selector: unknown, at: string): Cause[] {
  if (!isObj(selector)) return [];
  const causes = labelCauses(
    isObj(selector.matchLabels) ? selector.matchLabels : undefined,
    `${at}.matchLabels`,
  );
  const exprs = Array.isArray(selector.matchExpressions) ? (selector.matchExpressions as Requirement[]) : [];
  exprs.forEach((r, i) => {
    const path = `${at}.matchExpressions[${i}]`;
    const values = Array.isArray(r?.values) ? r.values : [];
    const op = r?.operator ?? '';
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0)
        causes.push(
          fieldErrors.required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"),
        );
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0)
        causes.push(
          fieldErrors.forbidden(
            `${path}.values`,
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          ),
        );
    } else causes.push(fieldErrors.invalid(`${path}.operator`, op, 'not a valid selector operator'));
    for (const m of isQualifiedName(r?.key ?? ''))
      causes.push(fieldErrors.invalid(`${path}.key`, r?.key ?? '', m));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(String(v)))
        causes.push(fieldErrors.invalid(`${path}.values[${j}]`, v, m));
    });
  });
  return causes;
}

/** LabelSelectorAsSelector fails (an operator it does not know) */
export function selectorUnparsable(selector: unknown): boolean {
  if (!isObj(selector)) return false;
  const exprs = Array.isArray(selector.matchExpressions) ? (selector.matchExpressions as Requirement[]) : [];
  return exprs.some((r) => !OPERATORS.includes(r?.operator ?? ''));
}

/** no requirements at all: matches everything (labels.Everything) */
export function selectorEmpty(selector: unknown): boolean {
  if (!isObj(selector)) return false;
  const ml = isObj(selector.matchLabels) ? Object.keys(selector.matchLabels).length : 0;
  const me = Array.isArray(selector.matchExpressions) ? selector.matchExpressions.length : 0;
  return ml + me === 0;
}

/** Whether labels match the selector; a nil selector matches nothing (labels.Nothing). */
export function selectorMatches(selector: unknown, labels: Record<string, unknown> | undefined): boolean {
  if (!isObj(selector)) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(isObj(selector.matchLabels) ? selector.matchLabels : {}))
    if (l[k] !== v) return false;
  for (const r of Array.isArray(selector.matchExpressions)
    ? (selector.matchExpressions as Requirement[])
    : []) {
    const has = Object.hasOwn(l, r.key ?? '');
    const value = l[r.key ?? ''];
    const values = r.values ?? [];
    if (r.operator === 'In' && !(has && values.includes(String(value)))) return false;
    if (r.operator === 'NotIn' && has && values.includes(String(value))) return false;
    if (r.operator === 'Exists' && !has) return false;
    if (r.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

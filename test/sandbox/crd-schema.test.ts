import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import {
  crdSchemaCauses,
  customResourceCauses,
  customResourceGenerationBumps,
  defaultCustomResource,
  hasStatusSubresource,
  type JsonSchema,
  prepareCustomResourceCreate,
  prepareCustomResourceUpdate,
  pruneCustomResource,
  versionSchema,
} from '../../src/sandbox/crd-schema.js';

/**
 * Structural schemas as apiextensions-apiserver applies them: pkg/apiserver/schema/{pruning,defaulting},
 * pkg/apiserver/validation/validation.go (kube-openapi messages), pkg/apiserver/schema/validation.go and
 * pkg/registry/customresource/{strategy,status_strategy}.go.
 */

const SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: { type: 'integer', minimum: 1, maximum: 10, default: 3 },
        color: { type: 'string', enum: ['red', 'blue'] },
        name: { type: 'string', minLength: 2, maxLength: 5, pattern: '^[a-z]+$' },
        tags: { type: 'array', maxItems: 2, minItems: 1, items: { type: 'string' } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } },
        },
        mode: { type: 'string', default: 'auto' },
        nested: { type: 'object', default: {}, properties: { level: { type: 'integer', default: 1 } } },
      },
    },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  },
};

function widget(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', namespace: 'ns' },
    spec,
    ...extra,
  };
}

describe('pruning (schema/pruning/algorithm.go)', () => {
  it('drops unknown fields, keeps apiVersion/kind/ObjectMeta at the root and in embedded resources', () => {
    const obj = widget(
      {
        size: 2,
        bogus: 1,
        free: { anything: { goes: true } },
        labels: { a: 'b' },
        template: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'p', junk: 1 },
          spec: { a: 'x', b: 'y' },
          other: 1,
        },
      },
      { extra: true },
    );
    (obj.metadata as Record<string, unknown>).notMeta = 'x';
    const pruned = pruneCustomResource(SCHEMA, obj as unknown as Record<string, unknown>);
    expect(obj).toEqual({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'ns' },
      spec: {
        size: 2,
        free: { anything: { goes: true } },
        labels: { a: 'b' },
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { a: 'x' } },
      },
    });
    expect(pruned.sort()).toEqual(
      [
        'metadata.notMeta',
        'spec.bogus',
        'spec.template.metadata.junk',
        'spec.template.spec.b',
        'spec.template.other',
        'extra',
      ].sort(),
    );
  });
});

describe('defaulting (schema/defaulting/algorithm.go, prunenulls.go)', () => {
  it('fills absent fields with their defaults, also inside a defaulted object', () => {
    const obj = widget({});
    defaultCustomResource(SCHEMA, obj as unknown as Record<string, unknown>);
    expect(obj.spec).toEqual({ size: 3, mode: 'auto', nested: { level: 1 } });
  });

  it('keeps values that are set, replaces a non-nullable null by the default and drops one without default', () => {
    const obj = widget({ size: 5, mode: null, color: null });
    defaultCustomResource(SCHEMA, obj as unknown as Record<string, unknown>);
    expect(obj.spec).toEqual({ size: 5, mode: 'auto', nested: { level: 1 } });
  });
});

describe('validation (validation.go kubeOpenAPIResultToFieldErrors)', () => {
  const causes = (spec: Record<string, unknown>) =>
    customResourceCauses(SCHEMA, widget(spec) as unknown as Record<string, unknown>);

  it('accepts a valid object', () => {
    expect(causes({ size: 2, color: 'red', name: 'abc', tags: ['x'], labels: { a: 'b' } })).toEqual([]);
  });

  it.each([
    [
      { size: 'big' },
      'spec.size',
      'Invalid value: "string": spec.size in body must be of type integer: "string"',
      'FieldValueTypeInvalid',
    ],
    [{}, 'spec.size', 'Required value', 'FieldValueRequired'],
    [
      { size: 1, color: 'green' },
      'spec.color',
      'Unsupported value: "green": supported values: "red", "blue"',
      'FieldValueNotSupported',
    ],
    [
      { size: 0 },
      'spec.size',
      'Invalid value: 0: spec.size in body should be greater than or equal to 1',
      'FieldValueInvalid',
    ],
    [
      { size: 11 },
      'spec.size',
      'Invalid value: 11: spec.size in body should be less than or equal to 10',
      'FieldValueInvalid',
    ],
    [
      { size: 1, name: 'a' },
      'spec.name',
      'Invalid value: "a": spec.name in body should be at least 2 chars long',
      'FieldValueInvalid',
    ],
    [{ size: 1, name: 'abcdef' }, 'spec.name', 'Too long: may not be more than 5 bytes', 'FieldValueTooLong'],
    [
      { size: 1, name: 'AB' },
      'spec.name',
      'Invalid value: "AB": spec.name in body should match \'^[a-z]+$\'',
      'FieldValueInvalid',
    ],
    [
      { size: 1, tags: [] },
      'spec.tags',
      'Invalid value: 0: spec.tags in body should have at least 1 items',
      'FieldValueInvalid',
    ],
    [
      { size: 1, tags: ['a', 'b', 'c'] },
      'spec.tags',
      'Too many: 3: must have at most 2 items',
      'FieldValueTooMany',
    ],
    [
      { size: 1, tags: ['a', 2] },
      'spec.tags[1]',
      'Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"',
      'FieldValueTypeInvalid',
    ],
    [
      { size: 1, labels: { a: true } },
      'spec.labels.a',
      'Invalid value: "boolean": spec.labels.a in body must be of type string: "boolean"',
      'FieldValueTypeInvalid',
    ],
  ])('%j → %s: %s', (spec, field, message, type) => {
    expect(causes(spec as Record<string, unknown>)).toEqual([{ field, message, type }]);
  });
});

describe('CRD creation (apiextensions validation.go, schema/validation.go)', () => {
  const crd = (versions: unknown[], extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget' },
      versions,
      ...extra,
    },
  });

  it('accepts a structural schema', () => {
    expect(
      crdSchemaCauses(
        crd([{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: SCHEMA } }]),
      ),
    ).toEqual([]);
  });

  it('refuses a version without schema: "schemas are required"', () => {
    expect(crdSchemaCauses(crd([{ name: 'v1', served: true, storage: true }]))).toEqual([
      {
        field: 'spec.versions[0].schema.openAPIV3Schema',
        message: 'Required value: schemas are required',
        type: 'FieldValueRequired',
      },
    ]);
  });

  it('refuses a non-structural schema with the real paths and messages', () => {
    const schema = {
      type: 'object',
      properties: {
        spec: { properties: { a: { type: 'string' } } },
        list: { type: 'array' },
        both: {
          type: 'object',
          properties: { x: { type: 'string' } },
          additionalProperties: { type: 'string' },
        },
        metadata: { type: 'object', properties: { labels: { type: 'object' } } },
      },
    };
    const fields = crdSchemaCauses(
      crd([{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }]),
    ).map((c) => `${c.field}: ${c.message}`);
    const root = 'spec.versions[0].schema.openAPIV3Schema';
    expect(fields).toEqual(
      expect.arrayContaining([
        `${root}.properties[spec].type: Required value: must not be empty for specified object fields`,
        `${root}.properties[list].items: Required value: must be specified`,
        `${root}.properties[both].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
        `${root}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
      ]),
    );
    const notObject = crdSchemaCauses(crd([{ name: 'v1', schema: { openAPIV3Schema: { type: 'string' } } }]));
    expect(notObject.map((c) => c.message)).toEqual(['Invalid value: "string": must be object at the root']);
  });

  it('finds the version schema and its status subresource', () => {
    const c = crd([
      { name: 'v1', schema: { openAPIV3Schema: SCHEMA }, subresources: { status: {} } },
      { name: 'v2' },
    ]);
    expect(versionSchema(c, 'v1')).toBe(SCHEMA);
    expect(versionSchema(c, 'v2')).toBeUndefined();
    expect(hasStatusSubresource(c, 'v1')).toBe(true);
    expect(hasStatusSubresource(c, 'v2')).toBe(false);
  });
});

describe('status subresource (customresource strategy.go, status_strategy.go)', () => {
  const old = widget({ size: 1 }, { status: { phase: 'Ready' } });
  old.metadata.labels = { a: '1' };

  it('a create with a status subresource drops status', () => {
    expect(
      prepareCustomResourceCreate(widget({ size: 1 }, { status: { phase: 'x' } }), true).status,
    ).toBeUndefined();
    expect(
      prepareCustomResourceCreate(widget({ size: 1 }, { status: { phase: 'x' } }), false).status,
    ).toEqual({ phase: 'x' });
  });

  it('a main-resource write keeps the stored status', () => {
    const next = widget({ size: 2 }, { status: { phase: 'Hacked' } });
    const stored = prepareCustomResourceUpdate(old, next, { statusSubresource: true, target: 'main' });
    expect(stored.spec).toEqual({ size: 2 });
    expect(stored.status).toEqual({ phase: 'Ready' });
  });

  it('a /status write keeps everything but status, labels included', () => {
    const next = widget({ size: 9 }, { status: { phase: 'Done' } });
    next.metadata.labels = { a: '2' };
    const stored = prepareCustomResourceUpdate(old, next, { statusSubresource: true, target: 'status' });
    expect(stored.spec).toEqual({ size: 1 });
    expect(stored.metadata.labels).toEqual({ a: '1' });
    expect(stored.status).toEqual({ phase: 'Done' });
  });

  it('without a status subresource status is an ordinary field that bumps the generation', () => {
    const next = widget({ size: 1 }, { status: { phase: 'Other' } });
    expect(
      prepareCustomResourceUpdate(old, next, { statusSubresource: false, target: 'main' }).status,
    ).toEqual({
      phase: 'Other',
    });
    expect(customResourceGenerationBumps(old, next)).toBe(true);
    const relabelled = structuredClone(old);
    relabelled.metadata.labels = { b: '2' };
    expect(customResourceGenerationBumps(old, relabelled)).toBe(false);
  });
});

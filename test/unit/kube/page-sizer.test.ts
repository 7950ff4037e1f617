import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubeObject, ResourceType } from '../../../src/core/types.js';
import type { KubeClient, KubeRequest } from '../../../src/kube/kube-client.js';
import { kubeListWatch } from '../../../src/kube/list-watch.js';
import { FIRST_PAGE_LIMIT, PAGE_TARGET_LENGTH, PageSizer } from '../../../src/kube/page-sizer.js';

const KiB = 1024;

describe('PageSizer: list pages sized by weight as well as count', () => {
  it.each([
    // [object size, limit asked by the caller, limit sent once a page of such objects was seen]
    [1 * KiB, 500, 500], // small objects: the caller's count limit
    [64 * KiB, 500, PAGE_TARGET_LENGTH / (64 * KiB)], // CA bundles: ~1 MiB pages
    [300 * KiB, 500, 3],
    [4 * 1024 * KiB, 500, 1], // bigger than a page: one at a time, never 0
    [64 * KiB, 10, 10], // never more than asked
  ])('objects of %d bytes, asked for %d: sends %d', (size, requested, expected) => {
    const pages = new PageSizer();
    pages.observe(7, 7 * size);
    expect(pages.limit(requested)).toBe(expected);
  });

  it('asks for at most FIRST_PAGE_LIMIT before it has seen a page, and learns nothing from an empty one', () => {
    const pages = new PageSizer();
    expect(pages.limit(500)).toBe(FIRST_PAGE_LIMIT);
    expect(pages.limit(20)).toBe(20);
    pages.observe(0, 20);
    expect(pages.limit(500)).toBe(FIRST_PAGE_LIMIT);
  });
});

describe('kubeListWatch pages', () => {
  const configMaps: ResourceType = {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    namespaced: true,
  };

  /** A client answering lists with `pageOf(limit)` items of `size` characters each, recording the limits sent. */
  function fakeClient(size: number) {
    const limits: Array<number | undefined> = [];
    const client = {
      kc: new KubeConfig(),
      count: () => {},
      async request(req: KubeRequest) {
        const limit = req.query?.limit as number | undefined;
        limits.push(limit);
        const n = limit ?? 1000;
        const items = Array.from({ length: n }, (_, i) => ({ metadata: { name: `cm-${i}` } }));
        req.onBodyLength?.(n * size);
        return { items, metadata: { resourceVersion: '1', continue: 'more' } };
      },
    };
    return { client: client as unknown as KubeClient, limits };
  }

  it('sends the page limit fitted to the size of the objects of the last page', async () => {
    const { client, limits } = fakeClient(64 * KiB);
    const lw = kubeListWatch<KubeObject>(client, configMaps);
    await lw.list({ limit: 500 });
    await lw.list({ limit: 500, continue: 'more' });
    // a later list (a relist) starts from what was learnt
    await lw.list({ limit: 500 });
    const fitted = PAGE_TARGET_LENGTH / (64 * KiB);
    expect(limits).toEqual([FIRST_PAGE_LIMIT, fitted, fitted]);
  });

  it('keeps an unpaginated list unpaginated (the fallback after an expired continue token)', async () => {
    const { client, limits } = fakeClient(64 * KiB);
    await kubeListWatch<KubeObject>(client, configMaps).list({});
    expect(limits).toEqual([undefined]);
  });
});

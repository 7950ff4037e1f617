import type { V1Lease } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { countedLeaseApi, type LeaseApi } from '../../../src/runtime/leader-election.js';

describe('countedLeaseApi', () => {
  it('counts every Lease call with its verb and code, failures included', async () => {
    const calls: string[] = [];
    const lease: V1Lease = { metadata: { name: 'l' } };
    const api: LeaseApi = {
      readNamespacedLease: async () => lease,
      createNamespacedLease: async () => {
        throw Object.assign(new Error('exists'), { code: 409 });
      },
      replaceNamespacedLease: async () => {
        throw new Error('socket hang up');
      },
    };
    const counted = countedLeaseApi(api, (verb, resource, code) => calls.push(`${verb} ${resource} ${code}`));
    expect(await counted.readNamespacedLease({ name: 'l', namespace: 'n' })).toBe(lease);
    await expect(counted.createNamespacedLease({ namespace: 'n', body: lease })).rejects.toThrow('exists');
    await expect(
      counted.replaceNamespacedLease({ name: 'l', namespace: 'n', body: lease }),
    ).rejects.toThrow();
    expect(calls).toEqual(['get leases 200', 'create leases 409', 'update leases <error>']);
  });
});

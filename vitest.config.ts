import { configDefaults, defineConfig } from 'vitest/config';

/** integration suites that run on the sandbox and again on kube-apiserver */
const REAL_TOO = ['hostile-input', 'log-redaction', 'one-decision', 'status-freshness'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        // pure tests, the sandbox tier and everything that needs only Node
        extends: true,
        test: {
          name: 'sandbox',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/real/**'],
        },
      },
      {
        // the same controller against etcd + kube-apiserver + kube-controller-manager built from source (SPEC §10)
        extends: true,
        test: {
          name: 'real',
          include: [
            'test/real/**/*.test.ts',
            // harness suites with no sandbox-only device run on both servers (test/helpers/any-harness.ts)
            ...REAL_TOO.map((name) => `test/integration/${name}.test.ts`),
          ],
          env: { KUBEMIRROR_TEST_SERVER: 'real' },
          globalSetup: ['test/control-plane/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});

#!/usr/bin/env node
// Bundles the kubemirror CLI into one tree-shaken ESM file that runs with no node_modules next to it:
//   node scripts/bundle.mjs [--entry src/main.ts] [--outfile dist/kubemirror.js] [--metafile out.json]
// `npm run build` runs it after tsc; the container image runs its output. The point is memory: Node parses and
// keeps every module it imports, and @kubernetes/client-node's index imports its whole generated API client
// (~70 MB of RSS) although kubemirror only uses KubeConfig and Watch. See docs/memory.md.
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    entry: { type: 'string', default: 'src/main.ts' },
    outfile: { type: 'string', default: 'dist/kubemirror.js' },
    metafile: { type: 'string' },
  },
});

/**
 * client-node's modules declare no `sideEffects`, so esbuild must keep every module its index re-exports, and
 * with them the CommonJS packages those import (ws, tar-fs, node-fetch's dependencies...). None of them has a
 * side effect kubemirror relies on: marking them free of side effects keeps exactly the modules whose exports
 * are used (KubeConfig and its authenticators, Watch, V1MicroTime).
 */
const clientNodeWithoutSideEffects = {
  name: 'client-node-side-effect-free',
  setup(b) {
    const index = fileURLToPath(import.meta.resolve('@kubernetes/client-node'));
    const dist = dirname(index);
    b.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({ path: index, sideEffects: false }));
    // its modules import each other by relative path with the .js extension (ES modules)
    b.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.importer.startsWith(dist) ? { path: resolve(args.resolveDir, args.path), sideEffects: false } : undefined,
    );
  },
};

/**
 * node-fetch (client-node's Watch uses it) takes `URL` from node:url and falls back to the whatwg-url package
 * only where Node has none; requiring that package still loads tr46's Unicode tables, ~3 MB of heap for
 * nothing. The bundle gets Node's own URL under that name.
 */
const whatwgUrlIsNodeUrl = {
  name: 'whatwg-url-is-node-url',
  setup(b) {
    b.onResolve({ filter: /^whatwg-url$/ }, () => ({ path: 'whatwg-url', namespace: 'node-url' }));
    b.onLoad({ filter: /.*/, namespace: 'node-url' }, () => ({
      contents: 'module.exports = { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams };',
      loader: 'js',
    }));
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: [values.entry],
  outfile: values.outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  // CommonJS dependencies call require() for Node built-ins, which an ES module does not have
  banner: {
    js: "import { createRequire as __kubemirrorCreateRequire } from 'node:module'; const require = __kubemirrorCreateRequire(import.meta.url);",
  },
  // whitespace and syntax only: identifiers keep their names, so stack traces and class names stay readable
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  metafile: values.metafile !== undefined,
  logLevel: 'warning',
  plugins: [clientNodeWithoutSideEffects, whatwgUrlIsNodeUrl],
});
if (values.metafile) writeFileSync(resolve(root, values.metafile), JSON.stringify(result.metafile));

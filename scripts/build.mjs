// `npm run build`: the production JavaScript in dist/.
//
// 1. tsc compiles src/ and resolvers/ to dist/.tsc/ (tsc, not esbuild, because
//    type-graphql reads the decorator metadata only tsc emits).
// 2. esbuild bundles that JavaScript into dist/src/main.js: one file instead of
//    ~1,600 modules for Node to resolve, read, wrap and compile at boot.
//    Every module stays in its own CommonJS wrapper and runs on its first
//    require, as before, so the lazy `load.*` requires of src/app.ts still run
//    their code only when configured.
// 3. What must not be in that file stays outside:
//    - the simulators: their own bundles at dist/src/simulators/<name>/index.js,
//      required only with SIMULATORS=true;
//    - npm packages that load files by path at run time (PGlite's WASM and data
//      files), have optional native parts (pg), only serve scale-out (ioredis,
//      BullMQ, the Redis event target) or tracing (OpenTelemetry), or are
//      build tools (esbuild): required from node_modules when, and only when,
//      the code that needs them runs;
//    - dist/src/server/ui-bundle.js (run below to write dist/ui/, never by the gateway).
// 4. The migrations are copied to dist/src/store/migrations, and the explorer
//    is bundled to dist/ui/.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const TSC_OUT = join(DIST, '.tsc');
const TSC_SRC = join(TSC_OUT, 'src');
const OUT_SRC = join(DIST, 'src');

/** npm packages required from node_modules at run time rather than bundled (see 3. above). */
const EXTERNAL_PACKAGES = [
  '@electric-sql/pglite',
  'pg',
  'pg-native',
  'ioredis',
  'bullmq',
  '@graphql-yoga/redis-event-target',
  '@opentelemetry/*',
  'esbuild',
];

/** Our own modules kept out of the main bundle: require specifier → the file the build writes. */
const SEPARATE = {
  './simulators/provaDeVida': 'simulators/provaDeVida/index.js',
  './simulators/spid': 'simulators/spid/index.js',
  './ui-bundle': 'server/ui-bundle.js',
};

rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', TSC_OUT], { cwd: ROOT, stdio: 'inherit' });

/**
 * esbuild's default `charset: 'ascii'` escapes non-ASCII characters everywhere
 * but in regular-expression literals (evanw/esbuild#4205). One such literal
 * (validator's locale alphabets, via class-validator) made the whole bundle a
 * two-byte string in V8: the source V8 keeps for the process's life took
 * 12.4 MB instead of 6.2 MB. A `\uXXXX` escape means the same in a string, a
 * regular expression (with or without the `u` flag: astral characters become
 * their surrogate pair), a template literal's cooked value, an identifier and
 * a comment; only a regular expression's `.source` and a template's `.raw`
 * show the escape. Done on the input, so the source map stays exact.
 */
function escapeNonAscii(code) {
  return code.replace(/[^\x00-\x7f]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/**
 * Every JavaScript file the bundle takes in, read once:
 * - in the bundle, `__dirname` is dist/src for every module. The few modules
 *   that find files next to themselves (the migrations, the explorer's files)
 *   get their own directory back, as it would be without bundling;
 * - non-ASCII characters are escaped (`escapeNonAscii`).
 * Files that need neither are left to esbuild's own loader.
 */
const loadJs = (bundleDir) => ({
  name: 'load-js',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      const code = readFileSync(args.path, 'utf8');
      const ownDir = /\b__(dirname|filename)\b/.test(code);
      if (!ownDir && !/[^\x00-\x7f]/.test(code)) return undefined;
      let prefix = '';
      if (ownDir) {
        const dir = relative(TSC_SRC, dirname(args.path));
        const file = relative(TSC_SRC, args.path);
        const out = relative(bundleDir, OUT_SRC);
        prefix =
          `var __dirname = require("node:path").join(__bundle_dirname, ${JSON.stringify(out)}, ${JSON.stringify(dir)});` +
          `var __filename = require("node:path").join(__bundle_dirname, ${JSON.stringify(out)}, ${JSON.stringify(file)});`;
      }
      return { contents: prefix + escapeNonAscii(code), loader: 'js' };
    });
  },
});

/** The simulators and ui-bundle, when required by the main bundle: left to Node, at their built path. */
const separateModules = {
  name: 'separate-modules',
  setup(b) {
    b.onResolve({ filter: /^\.\/(simulators\/(provaDeVida|spid)|ui-bundle)$/ }, (args) => {
      const target = SEPARATE[args.path];
      if (!target || !args.importer.startsWith(TSC_SRC)) return undefined;
      return { path: './' + target, external: true };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: EXTERNAL_PACKAGES,
  // type-graphql names GraphQL types after their classes: keep every class's name.
  keepNames: true,
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  logLevel: 'warning',
  banner: { js: 'var __bundle_dirname = __dirname;' },
};

// The main bundle is dist/src/main.js: the separate modules' relative paths are from dist/src.
await build({ ...common, entryPoints: [join(TSC_SRC, 'main.js')], outfile: join(OUT_SRC, 'main.js'), plugins: [separateModules, loadJs(OUT_SRC)] });
for (const target of Object.values(SEPARATE)) {
  const outfile = join(OUT_SRC, target);
  await build({ ...common, entryPoints: [join(TSC_SRC, target)], outfile, plugins: [loadJs(dirname(outfile))] });
}

rmSync(TSC_OUT, { recursive: true, force: true });
cpSync(join(ROOT, 'src/store/migrations'), join(OUT_SRC, 'store/migrations'), { recursive: true });
execFileSync(process.execPath, [join(OUT_SRC, 'server/ui-bundle.js'), join(DIST, 'ui')], { cwd: ROOT, stdio: 'inherit' });

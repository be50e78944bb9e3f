/**
 * Bundles the browser pages under ui/<page>/main.tsx with esbuild: one minified script and one stylesheet
 * per page, everything from npm, nothing fetched at run time.
 *
 * Loaded only where a bundle is made: by src/server/ui.ts when the gateway runs from its TypeScript sources
 * (`npm start`, tests), and by `npm run build`, which runs this file to write dist/ui/<page>/. The built
 * gateway serves those files and never loads this module (nor esbuild).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

/** The pages there are; each has ui/<page>/main.tsx (React) or main.ts (plain DOM). */
export const UI_PAGES = ['explorer', 'dashboard'] as const;
export type UiPage = (typeof UI_PAGES)[number];

export interface UiBundle {
  js: Buffer;
  css: Buffer;
}

/** The repository root (where package.json is): src/server/ from sources, dist/src/server/ when built. */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('ui-bundle: no package.json above ' + __dirname);
    dir = up;
  }
  return dir;
}

/**
 * GraphiQL's stylesheet embeds its web fonts (Roboto, Fira Code) as data: URLs, ~200 KB. The pages use
 * system fonts instead (the font stacks fall back to sans-serif/monospace), so the rules are dropped.
 * Minified CSS has no nested braces inside an @font-face block.
 */
function withoutFontFaces(css: string): string {
  return css.replace(/@font-face\{[^}]*\}/g, '');
}

export async function bundleUiPage(page: UiPage): Promise<UiBundle> {
  const root = repoRoot();
  const entry = ['main.tsx', 'main.ts'].map((f) => join(root, 'ui', page, f)).find((f) => existsSync(f));
  if (!entry) throw new Error(`ui-bundle: ui/${page} has no main.tsx or main.ts`);
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: entry },
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    // What the gateway's users run; graphiql itself targets evergreen browsers.
    target: ['chrome109', 'firefox115', 'safari16'],
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    // Licence comments go to the end of each file, as the licences of the bundled packages ask.
    legalComments: 'eof',
    write: false,
    outdir: join(root, 'ui-out'),
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'));
  if (!js || !css) throw new Error(`ui-bundle: ${page} produced no ${js ? 'stylesheet' : 'script'}`);
  return { js: Buffer.from(js.contents), css: Buffer.from(withoutFontFaces(css.text)) };
}

/** `npm run build`: writes <out>/<page>/main.js and main.css for every page and prints their sizes. */
async function buildAll(out: string): Promise<void> {
  for (const page of UI_PAGES) {
    const b = await bundleUiPage(page);
    const dir = join(out, page);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.js'), b.js);
    writeFileSync(join(dir, 'main.css'), b.css);
    process.stdout.write(`ui: ${page}: main.js ${(b.js.length / 1024).toFixed(0)} KiB, main.css ${(b.css.length / 1024).toFixed(0)} KiB\n`);
  }
}

if (require.main === module) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: node ui-bundle.js <out dir>\n');
    process.exit(2);
  }
  buildAll(resolve(out)).catch((err: unknown) => {
    process.stderr.write(`ui-bundle: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

// Build the page: `node build.mjs OUTDIR`.
//
// OUTDIR receives everything the server serves, and nothing else:
//   index.html          copied as is
//   app.js, app.js.map  src/main.js and its imports, bundled by esbuild
//   app.css, app.css.map xterm's CSS + src/style.css (imported by main.js)
//   fonts/*.woff2       the terminal font (referenced by src/style.css)
//
// No network, no plugins; runs in well under a second.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// DejaVu Sans Mono (OFL) covers every CP437 glyph: box drawing, blocks and
// shades, the card suits and arrows. Only the regular weight is shipped: the
// page draws bold as bright colour, the way a DOS screen does.
const FONTS = [
	['node_modules/@fontsource/dejavu-mono/files/dejavu-mono-latin-400-normal.woff2',
	 'dejavu-sans-mono.woff2'],
];

async function main(outArg)
{
	if (!outArg) {
		console.error('usage: node build.mjs OUTDIR');
		process.exit(2);
	}
	const out = resolve(outArg);
	await mkdir(join(out, 'fonts'), { recursive: true });

	await build({
		absWorkingDir: here,
		entryPoints: { app: 'src/main.js' },
		outdir: out,
		bundle: true,
		format: 'iife',
		minify: true,
		sourcemap: true,
		target: 'es2020',
		legalComments: 'eof',
		// style.css names its font by a URL relative to app.css; the file is
		// copied below rather than resolved by esbuild.
		external: ['./fonts/*'],
		logLevel: 'warning',
	});

	await copyFile(join(here, 'index.html'), join(out, 'index.html'));
	for (const [from, to] of FONTS)
		await copyFile(join(here, from), join(out, 'fonts', to));
}

main(process.argv[2]).catch((err) => {
	console.error(err);
	process.exit(1);
});

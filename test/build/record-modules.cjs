// Preloaded (NODE_OPTIONS=--require) into the built gateway by production.test.ts:
// at exit, writes the path of every module the process loaded to $RECORD_MODULES_FILE.
// dist/ is CommonJS, so even a module reached through dynamic import() is loaded by
// the CommonJS loader and listed in require.cache.
'use strict';
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  const file = process.env.RECORD_MODULES_FILE;
  if (file) writeFileSync(file, Object.keys(require.cache).join('\n') + '\n');
});

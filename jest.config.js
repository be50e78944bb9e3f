/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  setupFiles: ['reflect-metadata'],
  testTimeout: 60000,
  // Two cores here: one worker per core keeps PGlite boots (~5 s each) from starving the e2e timers.
  maxWorkers: 2,
};

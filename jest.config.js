// Unit tests live beside the code (src, *.spec.ts); integration tests boot AppModule (test, *.e2e-spec.ts).
const base = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testEnvironment: 'node',
};
module.exports = {
  // testTimeout is a global option: inside a project entry Jest ignores it (5 s default).
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    { ...base, displayName: 'unit', rootDir: 'src', testRegex: '.*\\.spec\\.ts$' },
    {
      ...base,
      displayName: 'integration',
      rootDir: '.',
      testRegex: 'test/.*\\.e2e-spec\\.ts$',
    },
  ],
};

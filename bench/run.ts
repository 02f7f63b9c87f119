/**
 * `npm run bench`: runs every bench/*.bench.ts in turn. Each prints its own figures
 * side by side with the baseline it is compared against. Timings live here, not in tests.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

async function main(): Promise<void> {
  const only = process.argv[2];
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => !only || f.startsWith(only))
    .sort();
  for (const file of files) {
    console.log(`\n=== ${file} ===`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const suite = require(join(__dirname, file)) as { run: () => Promise<void> };
    await suite.run();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

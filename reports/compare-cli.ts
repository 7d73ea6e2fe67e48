// npm run compare A.json B.json
import { compareRuns } from './compare.ts';
import { loadResults, ResultsFileError } from './write.ts';

const args = process.argv.slice(2);
if (args.length !== 2 || args.includes('--help')) {
  console.error('usage: npm run compare -- A/results.json B/results.json');
  process.exit(args.includes('--help') ? 0 : 2);
}
try {
  console.log(compareRuns(loadResults(args[0]), loadResults(args[1]), [args[0], args[1]]));
} catch (e) {
  if (!(e instanceof ResultsFileError)) throw e;
  console.error(`compare: ${e.message}`);
  process.exit(2);
}

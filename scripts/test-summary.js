#!/usr/bin/env node
// Prints `tests: N passed, M failed` from a jest --json report. A missing or unreadable report (the build or
// the proto lint failed before jest ran) counts as one failure, so CI can never read it as a pass.
const fs = require('node:fs');

const file = process.argv[2] ?? '.test-results.json';
let report;
try {
  report = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch {
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
}
// A suite that failed to run (syntax error, crash in beforeAll) has no failed tests of its own: count it.
const brokenSuites = report.testResults.filter((s) => s.status === 'failed' && s.assertionResults.every((a) => a.status !== 'failed')).length;
const failed = report.numFailedTests + brokenSuites;
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`tests: ${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && report.success ? 0 : 1);

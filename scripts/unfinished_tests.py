#!/usr/bin/env python3
"""Lists the tests a `swift test` log shows as started but never passed or failed.

scripts/test.sh runs this when the test run outlives its time limit in CI, so a hung test fails
CI with its name instead of running into CI's own limit. Usage: unfinished_tests.py LOG
"""
import re
import sys

started, finished, cases = [], set(), {}
with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
    for line in log:
        line = line.rstrip("\n")
        if match := re.match(r"^◇ Test (case passing .* to (.*)) started\.$", line):
            cases.setdefault(match.group(2), []).append(match.group(1))  # cases print no end line
        elif (match := re.match(r"^◇ (Test .*) started\.$", line)) and match.group(1) != "Test run":
            started.append(match.group(1))
        elif match := re.match(r"^[✔✘] (Test .*?)( with \d+ test cases?)? (passed|failed) after", line):
            finished.add(match.group(1))
unfinished = [name for name in started if name not in finished]
for name in unfinished:
    print("  " + name)
    for case in cases.get(name.removeprefix("Test "), []):
        print("    started: " + case)
print(f"{len(unfinished)} of {len(started)} started tests did not finish")

"""bench/nightly/steps.py RUN ACT_LOG...: the steps of a local run of ci/nightly.yml as TSV rows
(run, job, step, outcome, seconds), read from act's log: every "Success - Main <step> [<time>]"
and "Failure - ..." line, the time as act printed it (1h2m3.4s, 2.3s, 315ms)."""
import re
import sys

LINE = re.compile(r"^\[(?P<wf>[^/]+)/(?P<job>[^\]]+?)\s*\]\s+\S+\s+(?P<outcome>Success|Failure) - "
                  r"(?P<phase>Main|Pre|Post) (?P<step>.*) \[(?P<time>[0-9hms.µ]+)\]$")


def seconds(t):
    total = 0.0
    for value, unit in re.findall(r"([0-9.]+)(h|ms|µs|m|s)", t):
        total += float(value) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "µs": 1e-6}[unit]
    return total


def main(argv):
    run, logs = argv[0], argv[1:]
    print("run\tjob\tstep\toutcome\tseconds")
    for path in logs:
        with open(path, errors="replace") as f:
            for line in f:
                m = LINE.match(line.rstrip("\n"))
                if m and m["phase"] == "Main" and "@v3." not in m["step"]:
                    print(f"{run}\t{m['job']}\t{m['step'][:60]}\t{m['outcome'].lower()}\t{seconds(m['time']):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""python3 -m ftsan COMMAND [ARGS]: the front door make calls for every verb (make run, verify,
matrix, matrix-merge, bisect, minimize, hunt, findings, toolchain). Exit status: the command's own (see each module), 2 for bad input, 3 when
a run or a build could not be made; an error is printed once, here."""
import signal
import sys

from . import Error

# name -> (module, what it does); each module has main(argv) -> exit status.
COMMANDS = {
    "toolchain": ("toolchain", "the toolchain the variables choose, built or reused: what make toolchain calls"),
    "run": ("run", "a scenario (or PYTEST=tests) on its toolchain: what make run calls"),
    "verify": ("verify", "every scenario on its versions, against its expectations"),
    "matrix": ("matrix", "the nightly grid, a shard of it, or `matrix merge [DIRS]`"),
    "bisect": ("bisect", "the first NumPy release with or without a scenario's bug"),
    "minimize": ("minimize", "the smallest scenario that still shows a finding: repro.py and repro.yaml"),
    "hunt": ("hunt", "generated scenarios on a module's learned API; what is new, as scenarios"),
    "findings": ("findings", "the findings store over time: list, show, merge, import, page"),
}


def _terminated(signum, frame):
    raise KeyboardInterrupt()


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        print("usage: python3 -m ftsan COMMAND [ARGS]\n\ncommands:\n" +
              "\n".join(f"  {name:9} {what}" for name, (_, what) in COMMANDS.items()), file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module = __import__(f"ftsan.{COMMANDS[argv[0]][0]}", fromlist=["main"])
    # SIGTERM as an interrupt, so the runs in flight are stopped and their evidence kept
    # (harness.bounded's cleanup) instead of outliving this process.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        return module.main(argv[1:])
    except Error as e:
        print(f"ftsan {argv[0]}: error: {e or 'no message (a bug of ftsan: every error says what failed)'}",
              file=sys.stderr)
        return e.status
    except KeyboardInterrupt:
        print(f"ftsan {argv[0]}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

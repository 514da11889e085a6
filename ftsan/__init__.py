"""ftsan's tools for the work that spans many runs: verify, matrix, bisect, minimize.

They are started by make (`python3 -m ftsan COMMAND`), never by the harness, and share one way
to run a scenario and read its report (harness.run), one rule for "this finding is the
scenario's bug" (the harness's own, carried in report.json: judge.is_bug), one atomic writer
(harness.atomic_write), and one error type: an Error raised anywhere ends the command with its
message and exit status, printed once by __main__."""


class Error(Exception):
    """A command cannot go on: message for the user, and the exit status (2: bad input, 3: a run
    or a build could not be made)."""

    def __init__(self, message, status=3):
        super().__init__(message)
        self.status = status

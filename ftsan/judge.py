"""Whether a run came out as its scenario expects. The rule for "this finding is the scenario's
bug" is the harness's (sig_matches: the finding's kind, and the expectation's match string in
one of its signatures), applied when the report is written: report.json marks each finding
`scenario_bug`, and says whether the scenario describes a bug at all (`describes_bug`)."""

# Judgements of one run against its expectation. The last two are news.
EXPECTED_FINDING, EXPECTED_CLEAN, NO_EXPECTATION = "expected finding", "expected clean", "no expectation"
UNEXPECTED_FINDING, UNEXPECTED_CLEAN = "unexpected finding", "unexpected clean"
NEWS = (UNEXPECTED_FINDING, UNEXPECTED_CLEAN)


def is_bug(finding):
    return bool(finding["scenario_bug"])


def hits(report):
    """The findings of a report that are its scenario's bug; every finding when the scenario does
    not say what its bug looks like."""
    if not report["scenario"]["describes_bug"]:
        return list(report["findings"])
    return [f for f in report["findings"] if is_bug(f)]


def judge(outcome, findings):
    """(judgement, hits, news): hits are the findings that are the scenario's bug; news the
    findings that are neither the bug nor an issue the catalog knows. outcome is the matching
    expectation's (found, clean, or none).

    A run that expects the bug and shows it is an expected finding; one that expects it and does
    not, an unexpected clean (a fix, or a detection lost). A run that expects to be clean is an
    expected clean only with no finding at all: the bug back is a regression, and a known issue
    there means the expectation no longer holds (openblas_memory_single on NumPy 2.5.5, built
    against Debian's OpenBLAS for lack of a wheel, exceeds its memory limit with one thread).
    Whatever the expectation, a finding nobody knows is an unexpected finding."""
    bug = [f for f in findings if is_bug(f)]
    news = [f for f in findings if f not in bug and not f.get("known")]
    if outcome == "found":
        j = EXPECTED_FINDING if bug else UNEXPECTED_CLEAN
    elif outcome == "clean":
        j = UNEXPECTED_FINDING if findings else EXPECTED_CLEAN
    else:
        j = NO_EXPECTATION
    if news and j != UNEXPECTED_CLEAN:
        j = UNEXPECTED_FINDING
    return j, bug, news


def verdict(outcome, report):
    """make verify's verdict: the bug found where expected and absent where fixed. Other findings
    are listed beside it ("+N other") but do not decide it."""
    bug = [f for f in report["findings"] if is_bug(f)]
    result = "found" if bug else "clean"
    if outcome == "none":
        return result, bug, "no expectation"
    return result, bug, "ok" if result == outcome else "WRONG"

"""The catalog (known/catalog.json) against every signature the hunts kept (bench/hunt/*/), each
triaged by hand in its triage.json: a signature is labelled with the issue its triage names, and
a by-design or unrelated one with none (unless its text is exactly a known issue's racing pair and
the hunt set it apart by its cases alone: `issue_by_text` in the triage). An entry written too broadly (numpy#30540's once matched
any frame in flagsobject.c, numpy#28197's any race with PyArray_Repeat) fails here."""
import glob
import json
import os
import subprocess

import pytest

from conftest import ROOT, scntool

HUNTS = sorted(glob.glob(os.path.join(ROOT, "bench", "hunt", "*", "triage.json")))


def known(kind, *signatures, catalog="known/catalog.json"):
    p = subprocess.run([scntool(), "known", "--catalog", catalog, kind, *signatures], cwd=ROOT,
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout)["known"]


@pytest.mark.parametrize("triage", HUNTS, ids=lambda p: os.path.basename(os.path.dirname(p)))
def test_every_kept_signature_gets_the_label_its_triage_gives(triage):
    with open(triage) as f:
        verdicts = json.load(f)["signatures"]
    with open(os.path.join(os.path.dirname(triage), "hunt.json")) as f:
        sigs = [e for e in json.load(f)["signatures"] if not e["own"]]
    assert sigs and {e["id"] for e in sigs} == set(verdicts), "every counted signature is triaged"
    wrong = []
    for e in sigs:
        want = verdicts[e["id"]]
        got = known(e["kind"], e["signature"], *e["also"])
        # a by-design or noise signature has no label, unless its text is a known issue's own
        # pair and only its cases (judged by the contract) told it apart: the triage says so
        if got != want["issue"] or (want["verdict"] in ("by-design", "noise") and got is not None
                                    and not want.get("issue_by_text")):
            wrong.append((e["id"], want["verdict"], want["issue"], got, e["signature"]))
    assert not wrong, "\n".join(map(str, wrong))


def test_stored_signatures_match_the_catalog_with_cython_names_either_way():
    """A hunt stored before Cython's frames were named as their authors wrote them compares with
    today's catalog, whose entries use the new names."""
    old = ("data-race: __pyx_pf_5numpy_6random_13bit_generator_12SeedSequence_6spawn (bit_generator.pyx.c) <> "
           "__pyx_pf_5numpy_6random_13bit_generator_12SeedSequence_6spawn (bit_generator.pyx.c)")
    new = "data-race: SeedSequence.spawn (bit_generator.pyx) <> SeedSequence.spawn (bit_generator.pyx)"
    assert known("data-race", old) == known("data-race", new) == "numpy#32063"
    # a racing pair with a thread setting the shared array's shape is not numpy#30540 (except)
    pair = "data-race: _UpdateContiguousFlags (flagsobject.c) <> _UpdateContiguousFlags (flagsobject.c)"
    assert known("data-race", pair) == "numpy#30540"
    assert known("data-race", pair, "data-race: _UpdateContiguousFlags (flagsobject.c) <> array_shape_set (getset.c)") is None


def test_a_plain_programs_reports_are_signed_with_cython_names():
    """scntool sign, which signs a plain program's sanitizer logs (the minimizer's repro.py rate,
    the benchmarks), names Cython's frames as a run does: a real TSan log of bitgen_ctypes on
    NumPy 2.5.5 signs as the hunt's finding, so the two compare."""
    logs = glob.glob(os.path.join(ROOT, "tests", "fixtures", "tsan_cython", "tsan.*"))
    p = subprocess.run([scntool(), "sign", *logs], cwd=ROOT, capture_output=True, text=True, check=True)
    sigs = [f["signature"] for f in json.loads(p.stdout)["findings"]]
    assert "data-race: BitGenerator.ctypes.__get__ (bit_generator.pyx) <> " \
           "BitGenerator.ctypes.__get__ (bit_generator.pyx)" in sigs, sigs
    assert not any("__pyx" in s for s in sigs), sigs

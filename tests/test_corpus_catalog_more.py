"""The extra corpus catalogue (`export.corpus_catalog_more`) is consistent on its own and with
the main catalogue it is merged into."""

from __future__ import annotations

import random
import re

import pytest

from export.corpus import FINDINGS as ALL_FINDINGS
from export.corpus import ORGANS as ALL_ORGANS
from export.corpus import _sample_fact
from export.corpus_catalog import EXAMS, FINDINGS, ORGANS
from export.corpus_catalog_more import (
    MORE_EXAMS,
    MORE_EXCLUSIVE,
    MORE_FINDINGS,
    MORE_INDICATIONS,
    MORE_ORGANS,
    SINGLE_SIDE_EXAMS,
)
from export.corpus_phrasing import Chooser, findings_sentences, impression_item, split_loc
from export.evaluate import measurements
from python_models.exams import modality_of

SIDE_RE = re.compile(r"\b(left|right|bilateral)\b")
# the same words tests/test_corpus.py keeps out of reports of the other sex
FEMALE_ONLY = re.compile(r"uter|ovar|endometri|adnex|cul-de-sac|fibroid", re.I)
MALE_ONLY = re.compile(r"prostat|testi|scrot", re.I)


def _texts(normals: tuple[str, ...], mark: str | None) -> list[str]:
    """Normal sentences (text part) whose leading mark is ``mark`` ("~", "+" or None: base)."""
    out = []
    for normal in normals:
        lead = normal[:1] if normal[:1] in "~+" else None
        if lead == mark:
            out.append(normal.lstrip("~+").partition("|")[0])
    return out


def _all_texts(mark: str | None) -> list[str]:
    return [t for o in ALL_ORGANS.values() for t in _texts(o.normals, mark)]


def test_keys_are_new_and_match_their_entries() -> None:
    assert not set(MORE_FINDINGS) & set(FINDINGS)
    assert not set(MORE_ORGANS) & set(ORGANS)
    assert not set(MORE_EXAMS) & set(EXAMS)
    for table in (MORE_FINDINGS, MORE_ORGANS, MORE_EXAMS):
        assert all(key == entry.key for key, entry in table.items())
    assert 8 <= len(MORE_EXAMS) <= 12


def test_exams_resolve_in_the_merged_catalogue() -> None:
    for exam in MORE_EXAMS.values():
        assert exam.findings and exam.organs, exam.key
        for key in exam.findings:
            assert key in ALL_FINDINGS, (exam.key, key)
            # a finding's paragraph is one the exam renders, not appended at the end
            assert ALL_FINDINGS[key].organ in exam.organs, (exam.key, key)
        for key in exam.organs:
            assert key in ALL_ORGANS, (exam.key, key)
        for absent, _text in exam.pertinent:
            assert set(absent) <= set(exam.findings), exam.key
    used = {k for e in MORE_EXAMS.values() for k in e.findings}
    assert used == set(MORE_FINDINGS), "a finding no exam lists"
    organs = {k for e in MORE_EXAMS.values() for k in e.organs}
    assert set(MORE_ORGANS) <= organs, "an organ no exam lists"


def test_exam_fields() -> None:
    for exam in MORE_EXAMS.values():
        assert 1 <= len(exam.names) <= 3, exam.key
        assert exam.modality in ("XR", "CT", "US", "MR"), exam.key
        for name in exam.names:  # the corpus test reads the modality back from the name
            assert modality_of(name) == exam.modality, name
        assert 0.4 <= exam.weight <= 0.9, exam.key
        assert 0 < exam.age[0] < exam.age[1] <= 100, exam.key
        assert not exam.sided and not exam.levels and not exam.devices, exam.key
        assert exam.normal_impression.endswith("."), exam.key
        assert "{" not in exam.normal_impression, exam.key
    assert SINGLE_SIDE_EXAMS <= set(MORE_EXAMS)
    for group in MORE_EXCLUSIVE:
        assert group <= set(MORE_FINDINGS)


def test_indications() -> None:
    assert set(MORE_INDICATIONS) == set(MORE_EXAMS)
    for key, indications in MORE_INDICATIONS.items():
        assert 3 <= len(indications) <= 4, key
        assert all(i.endswith(".") and not SIDE_RE.search(i.lower()) for i in indications), key


def test_organs_have_usable_normals() -> None:
    for organ in MORE_ORGANS.values():
        assert 2 <= len(organ.labels) <= 4, organ.key
        assert 4 <= len(organ.normals) <= 8, organ.key
        base = _texts(organ.normals, None)
        assert base, f"{organ.key}: val draws only unmarked normals"
        assert _texts(organ.normals, "~"), f"{organ.key}: no held-out variant"
        assert len(_texts(organ.normals, "~")) <= 2, organ.key
        for normal in organ.normals:
            text, sep, _heads = normal.lstrip("~+").partition("|")
            assert sep and text.endswith("."), (organ.key, normal)
            assert "{" not in text and "}" not in text, (organ.key, normal)  # all get .format()
        for label in organ.labels:  # a label must not read as a report section header
            assert label.lower() not in ("findings", "impression", "comparison", "technique")
    assert sum(bool(_texts(o.normals, "+")) for o in MORE_ORGANS.values()) >= 10


def test_held_out_and_train_only_normals_stay_apart() -> None:
    """A held-out sentence inside a train/val one would leak it; a train-only one inside a
    val/test one would too."""
    seen_in_train = _all_texts(None) + _all_texts("+")
    for held in _texts(tuple(n for o in MORE_ORGANS.values() for n in o.normals), "~"):
        assert not [t for t in seen_in_train if held in t], held
    seen_in_val_test = _all_texts(None) + _all_texts("~")
    for train in _texts(tuple(n for o in MORE_ORGANS.values() for n in o.normals), "+"):
        assert not [t for t in seen_in_val_test if train in t], train


def test_sex_restrictions() -> None:
    for exam in MORE_EXAMS.values():
        for key in exam.findings:
            sex = ALL_FINDINGS[key].sex
            assert sex is None or exam.sex == sex, (exam.key, key)
        for key in exam.organs:
            sex = ALL_ORGANS[key].sex
            assert sex is None or exam.sex == sex, (exam.key, key)
        words = [n for k in exam.organs for n in ALL_ORGANS[k].normals]
        for key in exam.findings:
            spec = ALL_FINDINGS[key]
            words += [spec.noun, spec.plural, spec.imp_suffix, *spec.locs, *spec.sev]
        words += [exam.normal_impression, *(t for _, t in exam.pertinent)]
        text = " ".join(words)
        if exam.sex != "F":
            assert not FEMALE_ONLY.search(text), exam.key
        if exam.sex != "M":
            assert not MALE_ONLY.search(text), exam.key


def test_critical_and_terms() -> None:
    for spec in MORE_FINDINGS.values():
        if spec.critical:
            assert spec.rank >= 8, spec.key
            assert not spec.minor, spec.key
        assert spec.term, spec.key
        assert re.search(spec.term, spec.noun, re.I) or re.search(spec.term, spec.head, re.I), (
            spec.key
        )
        assert spec.article in ("a", "", "pl"), spec.key
        assert spec.style in ("adj", "prep") and spec.imp_style in ("adj", "prep"), spec.key
        assert not spec.level_organ and spec.followup is None, spec.key
        if spec.sizes:
            assert 0 < spec.sizes[0] <= spec.sizes[1], spec.key


def test_sides_come_from_locations() -> None:
    for spec in MORE_FINDINGS.values():
        assert not [loc for loc in spec.locs if "{side}" in loc], spec.key
        assert "{side}" not in spec.organ, spec.key
        for loc in spec.locs:
            adj, noun = split_loc(loc)
            assert SIDE_RE.findall(adj) == SIDE_RE.findall(noun), (spec.key, loc)
    for key in SINGLE_SIDE_EXAMS:
        for fkey in MORE_EXAMS[key].findings:
            sides = [SIDE_RE.findall(split_loc(loc)[0]) for loc in MORE_FINDINGS[fkey].locs]
            assert all(len(s) == 1 and s[0] in ("left", "right") for s in sides), fkey
            flat = [s[0] for s in sides]
            assert flat.count("left") == flat.count("right"), fkey


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_finding_renders(split: str) -> None:
    """Each finding, drawn as the generator draws it, gives findings sentences and an
    impression item that keep its side, its measurement and its term."""
    exam_of = {k: e for e in MORE_EXAMS.values() for k in e.findings}
    for key, spec in MORE_FINDINGS.items():
        for i in range(12):
            rng = random.Random(f"{key}:{split}:{i}")
            fact = _sample_fact(spec, exam_of[key], None, i % 2 == 1, rng)
            sentences = findings_sentences(spec, fact, Chooser(rng, split))
            text = " ".join(sentences)
            assert sentences and all(s[:1].isupper() or s[:1].isdigit() for s in sentences)
            assert "{" not in text and "  " not in text, text
            if fact["size_text"]:
                assert fact["size_text"] in text, (key, text)
            if spec.minor:
                continue
            item = impression_item(spec, fact)
            assert re.search(spec.term, item, re.I), (key, item)
            if fact["laterality"]:
                assert fact["laterality"] in item.lower(), (key, item)
            for m in measurements(item):
                assert m in text.lower(), (key, item, text)

"""Seeded synthetic radiology reports with structured truth, for training and evaluation.

Real report datasets may not be committed, so the demo model learns from reports generated
here from a reviewed catalogue (`export.corpus_catalog`) and many phrasings
(`export.corpus_phrasing`). Every case carries the facts it was written from, so metrics and
safety checks can be measured against truth rather than against text.

Case schema (``generate_cases`` returns a list of these dicts)::

    id              "train-0-000017"
    exam            exam name as written in the report ("CT CHEST WITHOUT CONTRAST")
    exam_key        catalogue key ("ct_chest_wo")
    modality        "XR" | "CT" | "MR" | "US"
    patient         {"sex": "F" | "M", "age": int}
    indication      short synthetic history
    prior           None | {"exam": str, "days_ago": int}   (change words appear only with one)
    findings_text   FINDINGS section body (organ paragraphs, one per line)
    impression      canonical impression: items numbered "1. ..." on separate lines when >= 2
    impression_items  the same items, unnumbered
    facts           list of fact dicts (below)
    guideline       version of the follow-up table used (python_models.guidelines)
    split           "train" | "val" | "test"

Fact schema::

    key          catalogue finding key ("pulmonary_nodule"), device key ("ett"), or None
    finding      canonical finding head ("pulmonary nodule", "pneumothorax")
    organ        organ paragraph key ("lungs", "L4-L5", "veins_left")
    location     location as written ("right upper lobe", "left kidney") or None
    laterality   "left" | "right" | "bilateral" | None
    size_mm      largest dimension in millimetres (float) or None
    size_text    the measurement exactly as written ("6 mm", "2.4 x 1.8 cm") or None
    count        number of lesions (>= 4 is written "multiple") or None
    change       "new" | "stable" | "increased" | "decreased" | None (None without a prior)
    prior_size_text  prior measurement as written, or None
    severity     "small", "moderate", "acute occlusive", ... or None
    certainty    "possible" | "probable" | None (hedged statements)
    critical     True for findings that need direct communication
    negated      True for pertinent negatives ("No pneumothorax.")
    in_impression  True if the canonical impression states it

Splits: the same seed gives different cases per split. Phrasing families marked held-out in the
catalogue and phrasing modules, and the finding pairs in ``HELD_OUT_COMBOS``, appear only in
"test", so test scores measure generalisation to wording the model never saw.
"""

from __future__ import annotations

import random
import re
from typing import Any

from export.corpus_catalog import (
    ABBREVIATIONS,
    DEVICE_HEADS,
    DEVICES,
    ETT_MALPOSITION,
    EXAMS,
    EXPANSIONS,
    HELD_OUT_COMBOS,
    Exam,
    Finding,
)
from export.corpus_catalog import FINDINGS as _BASE_FINDINGS
from export.corpus_catalog import ORGANS as _BASE_ORGANS
from export.corpus_catalog_more import (
    MORE_EXAMS,
    MORE_EXCLUSIVE,
    MORE_FINDINGS,
    MORE_INDICATIONS,
    MORE_ORGANS,
    SINGLE_SIDE_EXAMS,
)
from export.corpus_dictation import dictate
from export.corpus_phrasing import Chooser, cap, findings_sentences, impression_item, split_loc
from python_models.guidelines import FLEISCHNER_VERSION, fleischner_solid

# The exams of corpus_catalog_more are drawn for dictated cases only (`generate_cases`).
FINDINGS = {**_BASE_FINDINGS, **MORE_FINDINGS}
ORGANS = {**_BASE_ORGANS, **MORE_ORGANS}
SPLITS = ("train", "val", "test")
SIDE_RE = re.compile(r"\b(left|right|bilateral)\b")
_N_FINDINGS = ((0, 0.22), (1, 0.34), (2, 0.26), (3, 0.13), (4, 0.05))
# Train split from stage 8: more reports with several findings, so the model sees far more
# finding combinations and learns to state every one (the same single draw, so val/test stay).
_N_FINDINGS_TRAIN = ((0, 0.15), (1, 0.27), (2, 0.29), (3, 0.19), (4, 0.10))
_INDICATIONS = {
    "xr_chest": ("Cough.", "Shortness of breath.", "Fever and cough.", "Chest pain."),
    "xr_chest_portable": ("Line placement.", "Intubated patient.", "Hypoxia.", "Follow-up."),
    "ct_chest_wo": ("Pulmonary nodule follow-up.", "Former smoker.", "Chronic cough."),
    "ct_chest_w": ("Weight loss.", "Chest pain.", "Abnormal chest radiograph."),
    "ct_pe": ("Shortness of breath.", "Pleuritic chest pain.", "Tachycardia and hypoxia."),
    "ct_head": ("Headache.", "Fall with head strike.", "Altered mental status.", "Dizziness."),
    "ct_abd": ("Abdominal pain.", "Right lower quadrant pain.", "Fever.", "Weight loss."),
    "mr_brain": ("Headache.", "Dizziness.", "Numbness.", "Visual disturbance."),
    "mr_lspine": ("Low back pain.", "Radiculopathy.", "Leg numbness."),
    "us_ruq": ("Right upper quadrant pain.", "Abnormal liver enzymes.", "Nausea."),
    "us_renal": ("Flank pain.", "Hematuria.", "Elevated creatinine."),
    "us_pelvis": ("Pelvic pain.", "Abnormal uterine bleeding.", "Pelvic pressure."),
    "us_pelvis_male": ("Urinary frequency.", "Hematuria."),
    "us_venous": ("Leg swelling.", "Leg pain.", "Calf tenderness."),
    **MORE_INDICATIONS,
}


def generate_cases(
    n: int, seed: int = 0, split: str = "train", dictation: float = 0.0
) -> list[dict[str, Any]]:
    """``n`` cases for ``split``; the same (n, seed, split, dictation) always gives the same
    cases and a larger ``n`` extends a smaller one (each case has its own seeded generator).

    ``dictation`` is the share of cases written as people dictate (`export.corpus_dictation`,
    and the exams of `export.corpus_catalog_more`); the other cases are exactly the ones
    ``dictation=0`` gives, so the test split and every score measured on it stay comparable."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if n < 0:
        raise ValueError("n must be >= 0")
    if not 0.0 <= dictation <= 1.0:
        raise ValueError(f"dictation must be within [0, 1], got {dictation}")
    return [_make_case(i, seed, split, dictation) for i in range(n)]


def render_report(case: dict[str, Any], *, impression: bool = True) -> str:
    """The full report text of a case with EXAM/INDICATION/COMPARISON/FINDINGS/IMPRESSION
    (without the IMPRESSION: what a client sends to be summarized)."""
    prior = case.get("prior")
    comparison = f"{prior['exam']}, {prior['days_ago']} days earlier." if prior else "None."
    text = (
        f"EXAM: {case['exam']}\n"
        f"INDICATION: {case.get('indication') or 'Not provided.'}\n"
        f"COMPARISON: {comparison}\n"
        f"FINDINGS:\n{case['findings_text']}\n"
    )
    return f"{text}\nIMPRESSION:\n{case['impression']}\n" if impression else text


def number_items(items: list[str]) -> str:
    """One item stays as it is; two or more become "1. ..." lines."""
    if len(items) == 1:
        return items[0]
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))


# --------------------------------------------------------------------------- sampling
def _make_case(index: int, seed: int, split: str, dictation: float = 0.0) -> dict[str, Any]:
    # a generator of its own decides dictation, so the other cases are drawn exactly as before
    dictation_rng = random.Random(f"dictation:{seed}:{split}:{index}")
    dictated = dictation > 0 and dictation_rng.random() < dictation
    rng = random.Random(f"corpus:{seed}:{split}:{index}")
    ch = Chooser(rng, split)
    exam = _pick_exam(rng, extended=dictated)
    sex = exam.sex or rng.choice(("F", "M"))
    age = rng.randint(*exam.age)
    side = rng.choice(("left", "right", "bilateral")) if exam.sided else None
    limb = rng.choice(("left", "right")) if exam.key in SINGLE_SIDE_EXAMS else None
    prior = None
    if rng.random() < (0.65 if exam.devices else 0.45):
        prior = {"exam": _exam_name(exam, side, rng), "days_ago": rng.randint(1, 720)}
    keys = _pick_findings(exam, sex, split, rng)
    facts = [_sample_fact(FINDINGS[k], exam, side, prior is not None, rng, limb) for k in keys]
    devices = _sample_devices(rng) if exam.devices else []
    case_exam = _exam_name(exam, side, rng)
    findings_text, negated = _render_findings(exam, sex, side, facts, devices, ch)
    items = _impression(exam, side, facts, devices, negated, age)
    case = {
        "id": f"{split}-{seed}-{index:06d}",
        "exam": case_exam,
        "exam_key": exam.key,
        "modality": exam.modality,
        "patient": {"sex": sex, "age": age},
        "indication": rng.choice(_INDICATIONS[exam.key]),
        "prior": prior,
        "findings_text": findings_text,
        "impression": number_items(items),
        "impression_items": items,
        "facts": [_public(f) for f in facts + devices] + negated,
        "guideline": FLEISCHNER_VERSION,
        "split": split,
    }
    return dictate(case, dictation_rng) if dictated else case


def _pick_exam(rng: random.Random, extended: bool = False) -> Exam:
    exams = list(EXAMS.values()) + (list(MORE_EXAMS.values()) if extended else [])
    return rng.choices(exams, weights=[e.weight for e in exams])[0]


def _exam_name(exam: Exam, side: str | None, rng: random.Random) -> str:
    name = rng.choice(exam.names)
    return name.replace("{SIDE}", (side or "").upper()) if side else name


def has_held_out_combo(keys: set[str]) -> bool:
    """Whether the finding keys hold a pair the train and val splits never contain."""
    return any(combo <= keys for combo in HELD_OUT_COMBOS)


def _pick_findings(exam: Exam, sex: str, split: str, rng: random.Random) -> list[str]:
    pool = [k for k in exam.findings if FINDINGS[k].sex in (None, sex)]
    counts, weights = zip(*(_N_FINDINGS_TRAIN if split == "train" else _N_FINDINGS), strict=True)
    n = min(rng.choices(counts, weights=weights)[0], len(set(pool)))
    if split == "test" and rng.random() < 0.25:
        combos = [c for c in HELD_OUT_COMBOS if c <= set(pool)]
        if combos:
            chosen = sorted(rng.choice(combos))
            extra = [k for k in pool if k not in chosen]
            while len(chosen) < n and extra:
                pick = rng.choice(extra)
                if pick not in chosen:
                    chosen.append(pick)
                extra.remove(pick)
            return _compatible(chosen)
    for _ in range(50):
        keys: list[str] = []
        while len(keys) < n:
            pick = rng.choice(pool)
            if pick not in keys:
                keys.append(pick)
        keys = _compatible(keys)
        if split == "test" or not has_held_out_combo(set(keys)):
            return keys
    return []


_EXCLUSIVE = (
    {"liver_hypodensity", "liver_mass", "hemangioma"},
    {"xr_nodule", "pulmonary_nodule"},
    {"canal_stenosis", "cauda_equina"},
    {"us_cholelithiasis", "cholecystitis"},
    *MORE_EXCLUSIVE,
)


def _compatible(keys: list[str]) -> list[str]:
    """Drop keys that would contradict one already chosen (one liver lesion type, ...)."""
    out: list[str] = []
    for key in keys:
        if any(key in group and any(k in group for k in out) for group in _EXCLUSIVE):
            continue
        out.append(key)
    return out


def _size(spec: Finding, rng: random.Random) -> tuple[float, str, str]:
    """(largest mm, text as written, unit) with realistic unit choice."""
    assert spec.sizes is not None
    lo, hi = spec.sizes
    a = rng.randint(int(lo), int(hi))
    cm = rng.random() < (0.15 if a < 10 else 0.6 if a < 30 else 0.85)
    dims = [a]
    if spec.dims == 2:
        dims.append(rng.randint(max(2, a // 2), a))
    text = " x ".join(f"{d / 10:.1f}" if cm else str(d) for d in dims)
    unit = "cm" if cm else "mm"
    return float(a), f"{text} {unit}", unit


def _fmt_size(mm: int, unit: str) -> str:
    return f"{mm / 10:.1f} cm" if unit == "cm" else f"{mm} mm"


def _sample_fact(
    spec: Finding,
    exam: Exam,
    side: str | None,
    has_prior: bool,
    rng: random.Random,
    limb: str | None = None,
) -> dict[str, Any]:
    """One fact of ``spec``; ``limb`` keeps the locations on that side (one wrist per film)."""
    on_limb = [loc for loc in spec.locs if limb and _laterality(split_loc(loc)[0]) == limb]
    loc = rng.choice(on_limb or spec.locs)
    if "{side}" in loc:
        loc_side = side if side in ("left", "right") else rng.choice(("left", "right"))
        loc = loc.replace("{side}", loc_side)
    loc_adj, loc_noun = split_loc(loc)
    level = rng.choice(exam.levels) if spec.level_organ else None
    organ = level if spec.level_organ else spec.organ
    if "{side}" in organ:
        found = SIDE_RE.search(loc_adj)
        organ = organ.replace("{side}", found.group(1) if found else side or "left")
    fact: dict[str, Any] = {
        "key": spec.key,
        "finding": spec.head,
        "organ": organ,
        "level": level,
        "loc_adj": loc_adj,
        "loc_noun": loc_noun,
        "location": (f"{loc_noun} at {level}".strip() if level else loc_noun) or None,
        "laterality": _laterality(loc_adj),
        "size_mm": None,
        "size_text": None,
        "count": None,
        "change": None,
        "prior_size_text": None,
        "severity": rng.choice(spec.sev) if spec.sev else None,
        "certainty": None,
        "critical": spec.critical,
        "negated": False,
        "in_impression": not spec.minor,
    }
    unit = "mm"
    if spec.sizes:
        fact["size_mm"], fact["size_text"], unit = _size(spec, rng)
    if spec.count_max > 1 and rng.random() < 0.35:
        fact["count"] = rng.randint(2, spec.count_max)
    if has_prior and spec.change_ok and rng.random() < 0.7:
        weights = (0.5, 0.1, 0.1, 0.3) if spec.critical else (0.25, 0.35, 0.2, 0.2)
        fact["change"] = rng.choices(("new", "stable", "increased", "decreased"), weights)[0]
        if (
            fact["change"] in ("increased", "decreased")
            and spec.sizes
            and spec.dims == 1
            and not fact["count"]
            and spec.lesion
        ):
            mm = int(fact["size_mm"])
            delta = rng.randint(1, max(1, mm // 3))
            prior = mm - delta if fact["change"] == "increased" else mm + delta
            if prior >= 1:
                fact["prior_size_text"] = _fmt_size(prior, unit)
    if spec.hedge_ok and not fact["change"] and rng.random() < 0.15:
        fact["certainty"] = rng.choice(("possible", "probable"))
    return fact


def _laterality(loc: str) -> str | None:
    found = SIDE_RE.search(loc)
    return found.group(1) if found else None


def _sample_devices(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for key, _variants, _imp in DEVICES:
        if rng.random() < 0.35:
            fact = {
                "key": key,
                "finding": DEVICE_HEADS[key],
                "organ": "devices",
                "level": None,
                "loc_adj": "",
                "loc_noun": "",
                "location": None,
                "laterality": None,
                "size_mm": None,
                "size_text": None,
                "count": None,
                "change": None,
                "prior_size_text": None,
                "severity": None,
                "certainty": None,
                "critical": False,
                "negated": False,
                "in_impression": True,
            }
            if key == "ett":
                mm = rng.randint(20, 65)
                fact.update(
                    size_mm=float(mm), size_text=_fmt_size(mm, "cm"), location="above the carina"
                )
            if key in ("cvc", "pacer"):
                fact["laterality"] = "right" if key == "cvc" else "left"
            out.append(fact)
    return out


def _public(fact: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fact.items() if k not in ("loc_adj", "loc_noun", "level", "order")}


# --------------------------------------------------------------------------- rendering
def _organ_keys(exam: Exam, sex: str, side: str | None, facts: list[dict[str, Any]]) -> list[str]:
    keys: list[str] = []
    for key in exam.organs:
        if key == "veins_{side}":
            keys += [f"veins_{s}" for s in (("left", "right") if side == "bilateral" else (side,))]
        elif ORGANS[key].sex in (None, sex):
            keys.append(key)
    for fact in facts:
        if fact["organ"] not in keys:
            keys.append(fact["organ"])
    return keys


def _normal(organ_key: str, ch: Chooser, kidney: dict[str, str]) -> tuple[str, list[str]]:
    templates = ORGANS[organ_key].normals
    train = tuple(t for t in templates if not t.startswith(("~", "+")))
    if ch.train:  # train-only variants ("+"): drawn for the train split alone
        train += tuple(t[1:] for t in templates if t.startswith("+"))
    held = tuple(t[1:] for t in templates if t.startswith("~"))
    text, _, negs = ch.pick(train, held).partition("|")
    return text.format(**kidney), [n.strip() for n in negs.split(",") if n.strip()]


def _device_sentence(fact: dict[str, Any], ch: Chooser) -> str:
    if fact["key"] == "ett_malposition":
        variants = ETT_MALPOSITION[0]
    else:
        variants = next(v for k, v, _ in DEVICES if k == fact["key"])
    train = tuple(v for v in variants if not v.startswith("~"))
    held = tuple(v[1:] for v in variants if v.startswith("~"))
    return ch.pick(train, held).format(dist=fact.get("size_text") or "")


def _render_findings(
    exam: Exam,
    sex: str,
    side: str | None,
    facts: list[dict[str, Any]],
    devices: list[dict[str, Any]],
    ch: Chooser,
) -> tuple[str, list[dict[str, Any]]]:
    """FINDINGS text (one paragraph per organ) and the negated facts its normal lines state."""
    rng = ch.rng
    if any(f["key"] == "ett_malposition" for f in facts):
        devices = [d for d in devices if d["key"] != "ett"]
    by_organ: dict[str, list[str]] = {}
    facts_in: dict[str, list[int]] = {}
    for i, fact in enumerate(facts + devices):
        if fact["key"] == "ett_malposition" or fact["organ"] == "devices":
            by_organ.setdefault("devices", []).append(_device_sentence(fact, ch))
        else:
            by_organ.setdefault(fact["organ"], []).extend(
                findings_sentences(FINDINGS[fact["key"]], fact, ch)
            )
            facts_in.setdefault(fact["organ"], []).append(i)
    kidney = {
        "klen_r": f"{rng.randint(95, 125) / 10:.1f} cm",
        "klen_l": f"{rng.randint(95, 125) / 10:.1f} cm",
    }
    negated: list[dict[str, Any]] = []
    organ_keys = _organ_keys(exam, sex, side, facts)
    if rng.random() < 0.4:
        rng.shuffle(organ_keys)
    label_mode = rng.choice(("label", "label", "upper", "prose"))
    lines: list[str] = []
    for key in organ_keys:
        for i in facts_in.get(key, []):
            facts[i]["order"] = len([f for f in facts if "order" in f])
        organ = ORGANS.get(key)
        sentences = list(by_organ.get(key, []))
        if organ is not None and (not sentences or organ.always):
            text, negs = _normal(key, ch, kidney)
            sentences.insert(0, text)
            negated += [_negated_fact(head, key) for head in negs]
        if not sentences:
            continue
        body = " ".join(sentences)
        labels = organ.labels if organ else ()
        force = key in exam.levels
        if labels and (label_mode != "prose" or force):
            label = rng.choice(labels)
            label = label.upper() if label_mode == "upper" and not force else label
            lines.append(f"{label}: {body}")
        else:
            lines.append(body)
    text = "\n".join(lines)
    if rng.random() < 0.25:
        for long, short in ABBREVIATIONS.items():
            text = text.replace(long, short)
    if rng.random() < 0.3:
        for short, long in EXPANSIONS.items():
            text = text.replace(short, long)
    return text, negated


def _negated_fact(head: str, organ: str) -> dict[str, Any]:
    return {
        "key": None,
        "finding": head,
        "organ": organ,
        "location": None,
        "laterality": None,
        "size_mm": None,
        "size_text": None,
        "count": None,
        "change": None,
        "prior_size_text": None,
        "severity": None,
        "certainty": None,
        "critical": False,
        "negated": True,
        "in_impression": False,
    }


# --------------------------------------------------------------------------- impression
def _followup(spec: Finding, fact: dict[str, Any], exam: Exam, age: int) -> str:
    if spec.followup == "ct_chest":
        return " Recommend chest CT for further characterization."
    if spec.followup == "fleischner" and fact["change"] in (None, "new") and exam.modality == "CT":
        text = fleischner_solid(fact["size_mm"], multiple=bool(fact["count"]), age=age)
        return f" {text}" if text else ""
    return ""


def _impression(
    exam: Exam,
    side: str | None,
    facts: list[dict[str, Any]],
    devices: list[dict[str, Any]],
    negated: list[dict[str, Any]],
    age: int,
) -> list[str]:
    """Canonical impression items: critical first, then by significance; devices; pertinent
    negatives; the exam's normal phrase when nothing significant is abnormal."""
    ranked: list[tuple[tuple[int, int, int], str]] = []
    for i, fact in enumerate(facts):
        spec = FINDINGS[fact["key"]]
        if not fact["in_impression"]:
            continue
        if spec.key == "ett_malposition":
            text = ETT_MALPOSITION[1]
        else:
            text = impression_item(spec, fact) + "." + _followup(spec, fact, exam, age)
        # ties keep the order in which the findings state them (observable by the model)
        ranked.append(((0 if spec.critical else 1, -spec.rank, fact.get("order", i)), text))
    ranked.sort()
    items = [text for _, text in ranked]
    for fact in devices:
        if fact["key"] == "ett" and any(f["key"] == "ett_malposition" for f in facts):
            continue
        imp = next(i for k, _v, i in DEVICES if k == fact["key"])
        items.append(imp.format(dist=fact.get("size_text") or ""))
    significant = bool(ranked)
    present = {f["key"] for f in facts}
    if significant:
        for absent_keys, text in exam.pertinent:
            if not present & set(absent_keys):
                items.append(text)
                _mark_negated(negated, text)
        if exam.sided:
            dvt_sides = {f["laterality"] for f in facts if f["key"] == "dvt"}
            for s in ("left", "right") if side == "bilateral" else (side,):
                if s not in dvt_sides:
                    items.append(f"No deep venous thrombosis in the {s} lower extremity.")
                    _mark_negated(negated, "deep venous thrombosis")
    else:
        if exam.sided:
            normal = (
                "No deep venous thrombosis in either lower extremity."
                if side == "bilateral"
                else exam.normal_impression.format(side=side)
            )
        else:
            normal = exam.normal_impression
        items.append(normal)
    return [cap(i) for i in items]


def _mark_negated(negated: list[dict[str, Any]], text: str) -> None:
    for fact in negated:
        if fact["finding"].lower() in text.lower():
            fact["in_impression"] = True

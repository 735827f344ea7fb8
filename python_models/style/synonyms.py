"""Terms a radiologist may choose between without changing what the impression says.

`impressions style learn` only learns term preferences inside these groups. The safety lexicon
groups far more loosely ("microadenoma" and "lesion" share a head there, which is right for a
safety check but wrong for a rewrite), so style keeps its own reviewed list. Every group must
give equal `extract_facts` for each variant (a unit test holds us to it). Abbreviations are not
listed: they belong to the abbreviation rules.
"""

from __future__ import annotations

SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("consolidation", "airspace consolidation", "airspace disease"),
    ("pleural effusion", "pleural fluid"),
    ("cholelithiasis", "gallstones"),
    ("hepatic steatosis", "fatty liver"),
    ("nephrolithiasis", "renal calculi", "kidney stones"),
    ("cardiomegaly", "enlarged cardiac silhouette", "cardiac enlargement", "enlarged heart"),
    ("pulmonary embolism", "pulmonary embolus", "pulmonary embolic disease"),
    ("atelectasis", "atelectatic change"),
    ("pneumoperitoneum", "free intraperitoneal air"),
    ("lymphadenopathy", "adenopathy"),
    ("deep venous thrombosis", "deep vein thrombosis"),
    ("central venous catheter", "central line"),
    ("infarct", "infarction"),
    ("pulmonary edema", "pulmonary oedema"),
    ("intracranial hemorrhage", "intracranial haemorrhage"),
    ("subarachnoid hemorrhage", "subarachnoid haemorrhage"),
    ("hematoma", "haematoma"),
)

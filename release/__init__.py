"""Release a checkpoint from its metadata: export, parity, quality gate, config, version dir.

`impressions release CHECKPOINT` reads only the checkpoint's `release.yaml`; everything after
that is automatic, and what it writes (a numbered version folder and its record) is the diff a
reviewer reads. `--activate` / `impressions rollback` move the served version on a running
server in explicit model-control mode. Docs: docs/release.md.
"""

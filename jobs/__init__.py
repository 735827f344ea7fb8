"""Asynchronous bulk jobs in front of the `impression` ensemble and `report_check`.

Submit a payload over HTTP, get a job id at once; the job waits in a durable queue (Huey), a
worker sends its records to Triton with bounded concurrency and commits every result as it
goes, so a killed worker loses nothing. State lives in SQL (SQLite embedded, PostgreSQL for
scale-out), payloads and results in a store directory. See docs/jobs.md.
"""

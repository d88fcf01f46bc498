"""Shared pieces every stage may use: Vietnamese text and numbers (:mod:`.vn`), xlsxwriter
helpers (:mod:`.xlsx`), the workspace and its configuration (:mod:`.workspace`,
:mod:`.config`), typed errors (:mod:`.errors`), findings (:mod:`.findings`), the one reader
of the wall clock (:mod:`.clock`) and helpers for large runs (:mod:`.perf`).

Imports nothing from the stages (see docs/architecture.md).
"""

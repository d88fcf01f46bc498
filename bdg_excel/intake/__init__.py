"""Stage 3, intake of returned files: the safety scan (:mod:`.untrusted`), reading
(:mod:`.returns`), checking (:mod:`.validate`, :mod:`.rollup` for a lower level's
consolidated workbook, results in :mod:`.checked`), the ledger (:mod:`.ledger`),
collection inbox/ -> ledger -> archive/ (:mod:`.collect`) and feedback to units
(:mod:`.feedback`).

Imports only from earlier stages and :mod:`bdg_excel.core` (see docs/architecture.md).
"""

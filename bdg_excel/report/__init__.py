"""Stage 4, the report: consolidation from the ledger (:mod:`.consolidate`, its data in
:mod:`.results`, its checks in :mod:`.consistency`), the consolidated workbook
(:mod:`.workbook`, :mod:`.sheets`, :mod:`.charts`, :mod:`.summarytemplate`), the annex of the
level above (:mod:`.annex`) and the tidy export (:mod:`.export`).

Imports only from earlier stages and :mod:`bdg_excel.core` (see docs/architecture.md).
"""

"""Stage 1, the plan: the model (:mod:`.model`), targets and their evaluation
(:mod:`.targets`), the plan workbook (:mod:`.planbook`), the importer of plan documents
(:mod:`.importer`) and the wording of deadlines (:mod:`.deadlines`).

Imports only from :mod:`bdg_excel.core` (see docs/architecture.md).
"""

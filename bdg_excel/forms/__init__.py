"""Stage 2, the forms: the form layout, the ONE place that knows which sheet, row and column
holds what (:mod:`.layout`), form generation (:mod:`.generate`) and the officer's form
template (:mod:`.formtemplate`).

Imports only from :mod:`bdg_excel.core` and :mod:`bdg_excel.plan` (see docs/architecture.md).
"""

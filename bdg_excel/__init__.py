"""bdg-excel: the reporting cycle of Vietnam's gender-equality implementation plans.

Pipeline (one module per stage):
    plan (model, planbook, importer) -> forms -> returns (reader, validate)
    -> ledger (collect) -> consolidate -> report, export, mail
"""

__version__ = "0.1.0"

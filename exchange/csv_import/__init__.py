"""Bulk import of DEXA results from a CSV or XLSX file: one row per site measurement.

Three steps, so that nothing is written before a clinician has seen what will happen:

1. reading.parse_file(text) reads and checks every row on its own and against the other rows
   of the file (pure: no database), with the columns (columns.py) and the cell values
   (cells.py) of the file, into rows (rows.py).
2. plan.build_plan(parsed) sets the rows against the database in a few `__in` queries: which
   patients, scanners, scans and measurements are new, which are already there unchanged
   (skipped), and which contradict what is stored (conflicts: reported, never overwritten).
3. writing.import_commit(...) parses and plans again inside one transaction and writes the new
   records with bulk operations; imported scans are drafts, so a clinician reviews and releases
   each, unless the clinician says the file holds past results already reported (imported
   released).

Row numbers are those of the file with the header as row 1, as a spreadsheet shows them.
Errors are (column, message) pairs whose message says what to fix.
"""

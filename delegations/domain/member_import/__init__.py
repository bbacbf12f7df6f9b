"""Spreadsheet import of a delegation list: read the file, check every row, preview, then add everyone at once.

A liaison officer uploads the list the delegation already keeps in Excel. What they upload is untrusted and
made by hand: it may be a legacy .xls, a CSV in the Windows code page, a semicolon CSV from a European Excel,
a zip bomb renamed .xlsx, or a list with a typo in row 87. So the import

1. reads the file by its first bytes, never by its name, within limits on size, unpacked size and rows, and
   says which encoding or format to use instead when it cannot (`reading`);
2. checks every row with the rules the model and the member form use (each model field's own `clean()`,
   `delegations.validators.person_errors`) and for duplicates within the file and against the delegation,
   without a query per row, and returns every problem as data (`errors.RowError`: row, column, message) so
   the page can list them all at once (`checking`);
3. stores nothing until the whole file is valid; then keeps the cleaned rows in a `MemberImport` for the
   preview, and adds all members in one bulk insert (one audit entry each) when the liaison confirms
   (`staging`).

`template` writes the empty list to fill in; `columns` holds the columns all of them share. Each module
imports only those listed before it: columns, errors ← reading ← checking ← staging; template reads columns
and reading. This package re-exports nothing: import a name from the module that owns it.
"""

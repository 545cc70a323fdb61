"""XLSForm exchange: import ODK/Kobo XLSForms into our definition format, and export to XLSForm.

``import_xlsform`` reads a workbook with pyxform and maps it to a definition document, listing
every construct it cannot carry over (with its spreadsheet row) in ``issues``.
``export_xlsform`` writes a questionnaire as an XLSForm workbook that pyxform converts.
"""

from questionnaires.xlsform.exporter import XlsformExportError, export_xlsform
from questionnaires.xlsform.importer import import_xlsform
from questionnaires.xlsform.issues import ImportIssue, XlsformError, XlsformImport

__all__ = [
    "ImportIssue",
    "XlsformError",
    "XlsformExportError",
    "XlsformImport",
    "export_xlsform",
    "import_xlsform",
]

"""Spreadsheets in and out: the pairing list, the org workbook, the ledger export."""

"""Writes the eval's XLSX inputs (eval/tasks/*/input.xlsx) with openpyxl.

Run with /usr/bin/python3 eval/make-xlsx.py; the workbooks are committed, so this runs only
when a task's input changes.
"""
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

TASKS = Path(__file__).resolve().parent / "tasks"


def sheet_merge_targets(path: Path) -> None:
    wb = Workbook()
    notes = wb.active
    notes.title = "Read me"
    notes["A1"] = "Sales export. Figures on the Sales sheet; targets beside them."
    ws = wb.create_sheet("Sales")
    ws.append(["date", "region", "amount", None, "target_region", "target"])
    rows = [
        (date(2024, 1, 3), "North", 1200.0, "NORTH", 5000),
        (date(2024, 1, 4), "south", "1,500.50", "SOUTH", 2000),
        (date(2024, 1, 5), " North ", 2300.0, "EAST", 1000),
        (date(2024, 1, 9), "East", 250, "WEST", 3000),
        (date(2024, 1, 12), "SOUTH", 499.5, None, None),
        (date(2024, 1, 15), "north", None, None, None),
        (date(2024, 1, 20), "East ", "1,000", None, None),
    ]
    for d, region, amount, target_region, target in rows:
        ws.append([d, region, amount, None, target_region, target])
    for row in ws.iter_rows(min_row=2, min_col=1, max_col=1):
        row[0].number_format = "dd/mm/yyyy"
    for row in ws.iter_rows(min_row=2, min_col=3, max_col=3):
        row[0].number_format = "#,##0.00"
    wb.save(path)


def march_expenses(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Expenses"
    ws.append(["Date", "Category", "Amount", "Note"])
    rows = [
        (datetime(2024, 2, 28, 18, 30), "Travel", 120.0, "taxi"),
        (datetime(2024, 3, 1, 9, 0), "travel", 45.5, "train"),
        (datetime(2024, 3, 2, 0, 0), "Meals ", 18.2, None),
        (datetime(2024, 3, 15, 12, 0), "MEALS", "n/a", "lost receipt"),
        (datetime(2024, 3, 15, 13, 0), "Office", 230.0, "chair"),
        (datetime(2024, 3, 31, 23, 59), "Travel", 310.75, "flight"),
        (datetime(2024, 4, 1, 0, 0), "Office", 12.0, "pens"),
        (datetime(2024, 3, 20, 8, 0), "meals", 9.8, None),
    ]
    for row in rows:
        ws.append(list(row))
    for row in ws.iter_rows(min_row=2, min_col=1, max_col=1):
        row[0].number_format = "yyyy-mm-dd hh:mm"
    wb.save(path)


def title_rows_header(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Headcount"
    ws.append(["Quarterly headcount report", None, None])
    ws.append(["Generated 2024-04-02 by HR", None, None])
    ws.append([None, None, None])
    ws.append(["Office", "Q1", "Q2"])
    for office, q1, q2 in [("London", 120, 131), ("Paris ", 45, 44), ("Berlin", 60, None), ("madrid", 12, 20)]:
        ws.append([office, q1, q2])
    ws.append(["Total", 237, 195])
    wb.save(path)


if __name__ == "__main__":
    sheet_merge_targets(TASKS / "34-xlsx-sheet-merge-targets" / "input.xlsx")
    march_expenses(TASKS / "35-xlsx-march-expenses" / "input.xlsx")
    title_rows_header(TASKS / "36-xlsx-title-rows-header" / "input.xlsx")

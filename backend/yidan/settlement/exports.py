"""The reconciliation report for finance: CSV, XLSX and a plain-text summary."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from yidan.settlement.money import format_money
from yidan.settlement.reconciliation import Report

ROW_HEADERS = [
    "category",
    "kind",
    "stripe_id",
    "invoice_number",
    "payment_id",
    "currency",
    "stripe_amount_minor",
    "our_amount_minor",
    "fee_minor",
    "payout_id",
    "note",
]
PAYOUT_HEADERS = [
    "payout_id",
    "status",
    "currency",
    "amount_minor",
    "transactions",
    "gross_minor",
    "fees_minor",
    "net_minor",
    "difference_minor",
    "arrival_date",
]


def _row_values(report: Report) -> list[list[Any]]:
    return [
        [
            r.category,
            r.kind,
            r.stripe_id or "",
            r.invoice_number or "",
            str(r.payment_id or ""),
            r.currency,
            r.stripe_amount_minor,
            r.our_amount_minor,
            r.fee_minor,
            r.payout_id or "",
            r.note,
        ]
        for r in report.rows
    ]


def _payout_values(report: Report) -> list[list[Any]]:
    return [
        [
            p.payout_id,
            p.status,
            p.currency,
            p.amount_minor,
            p.transactions,
            p.gross_minor,
            p.fees_minor,
            p.net_minor,
            p.difference_minor,
            p.arrival_date.isoformat() if p.arrival_date else "",
        ]
        for p in report.payouts
    ]


def _summary_values(report: Report) -> list[list[Any]]:
    out: list[list[Any]] = [["generated_at", report.generated_at.isoformat()], ["scope", report.scope]]
    out += [[f"count_{k}", v] for k, v in report.counts.items()]
    for currency, (gross, fees, net) in report.totals.items():
        out += [[f"gross_{currency}", gross], [f"fees_{currency}", fees], [f"net_{currency}", net]]
    return out


def to_csv(report: Report) -> bytes:
    """The report as CSV: summary, rows, then payouts (UTF-8 with a BOM so Excel reads it)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["# summary"])
    w.writerows(_summary_values(report))
    w.writerow([])
    w.writerow(["# rows"])
    w.writerow(ROW_HEADERS)
    w.writerows(_row_values(report))
    w.writerow([])
    w.writerow(["# payouts"])
    w.writerow(PAYOUT_HEADERS)
    w.writerows(_payout_values(report))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(report: Report) -> bytes:
    """The report as an XLSX workbook with Summary, Rows and Payouts sheets."""
    wb = Workbook()
    sheets = [
        ("Summary", ["item", "value"], _summary_values(report)),
        ("Rows", ROW_HEADERS, _row_values(report)),
        ("Payouts", PAYOUT_HEADERS, _payout_values(report)),
    ]
    first = True
    for title, headers, rows in sheets:
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        first = False
        ws.title = title
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_text(report: Report) -> str:
    """A readable summary for the terminal and the worker's log."""
    lines = [f"Reconciliation report ({report.scope}) at {report.generated_at:%Y-%m-%d %H:%M:%S} UTC"]
    lines.append("  " + ", ".join(f"{k}: {v}" for k, v in report.counts.items()))
    for currency, (gross, fees, net) in report.totals.items():
        lines.append(
            f"  {currency}: gross {format_money(gross, currency)}, fees {format_money(fees, currency)}, "
            f"net {format_money(net, currency)}"
        )
    for r in report.rows:
        amounts = f"stripe={r.stripe_amount_minor} ours={r.our_amount_minor} fee={r.fee_minor}"
        lines.append(
            f"  {r.category:<16} {r.kind:<7} {r.stripe_id or '-':<28} {r.invoice_number or '-':<13} "
            f"{r.currency} {amounts} payout={r.payout_id or '-'}  {r.note}"
        )
    for p in report.payouts:
        lines.append(
            f"  payout {p.payout_id} {p.status} {format_money(p.amount_minor, p.currency)}: "
            f"{p.transactions} txns, "
            f"net {format_money(p.net_minor, p.currency)}, difference {p.difference_minor}"
        )
    return "\n".join(lines)

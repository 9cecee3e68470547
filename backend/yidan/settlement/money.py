"""Money as integer minor units plus an ISO 4217 currency: exponents, rounding, VAT and display."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from yidan.core.errors import field_error

DEFAULT_CURRENCY = "CNY"
# ISO 4217 currencies Yidan settles in, with their minor-unit exponent
EXPONENTS: dict[str, int] = {
    "CNY": 2,
    "HKD": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "SGD": 2,
    "KRW": 0,
    "JPY": 0,
}
SYMBOLS: dict[str, str] = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "¥"}


def check_currency(code: str, field: str = "currency") -> str:
    """The upper-case ISO 4217 code, or a validation error naming the field."""
    value = (code or "").strip().upper()
    if value not in EXPONENTS:
        raise field_error(
            field, f"{code!r} is not a currency Yidan settles in ({', '.join(sorted(EXPONENTS))})"
        )
    return value


def round_minor(value: Decimal) -> int:
    """Round a minor-unit amount half up (commercial rounding) to an integer."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def vat(net_minor: int, rate_bp: int) -> int:
    """The VAT on a net amount at a rate in basis points (900 = 9 %), rounded per line."""
    return round_minor(Decimal(net_minor) * Decimal(rate_bp) / Decimal(10_000))


def format_money(amount_minor: int, currency: str) -> str:
    """A human-readable amount, e.g. ¥1,234.50 CNY."""
    exp = EXPONENTS.get(currency, 2)
    major = Decimal(amount_minor).scaleb(-exp)
    sign = "-" if amount_minor < 0 else ""
    return f"{sign}{SYMBOLS.get(currency, '')}{abs(major):,.{exp}f} {currency}"


def to_stripe_currency(currency: str) -> str:
    """Stripe names currencies in lower case."""
    return currency.lower()

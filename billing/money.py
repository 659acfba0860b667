"""How an amount of KRW reads for operators (SPEC 11): `₩3,960`, `-₩1,200`. Money stays an int everywhere."""


def format_won(amount: int | None) -> str:
    """``3960`` -> ``₩3,960``; a negative amount (a credit used, a credit note) keeps its sign in front."""
    if amount is None:
        return "-"
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"an amount of KRW is an int, got {amount!r}")
    sign = "-" if amount < 0 else ""
    return f"{sign}₩{abs(amount):,}"

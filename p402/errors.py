"""Domain errors: each names the field, the value and what was expected."""


class FieldProblem(ValueError):
    """One field of one event is wrong."""

    def __init__(self, field: str, value: object, expected: str):
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{field}: got {_show(value)}, expected {expected}")

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "value": _show(self.value), "expected": self.expected,
                "message": str(self)}


class EventRefused(ValueError):
    """An event cannot enter the ledger; it carries every problem found."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class PriceFileError(ValueError):
    """The price-override file cannot be read as a list of price entries."""


class BudgetFileError(ValueError):
    """The budgets file cannot be read; the message names each budget, field and value."""


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

"""What a model call costs: token usage priced from the `writer.prices` table, and the per-run cap.

Prices are US dollars per million tokens. A price entry applies to every model id containing its
`model` text ("sonnet" covers claude-sonnet-5-5), the first match winning, so a new model of a
known family is priced without a config change. An unknown model is priced at the dearest entry:
the cap must hold even when the table is out of date.
"""

from __future__ import annotations

from collections.abc import Sequence

from aibot.config import PriceConfig
from aibot.models import Usage

# Anthropic's published multipliers on the input price: cache reads are a tenth, writes to the
# five-minute cache a quarter more; the Message Batches API halves every price.
CACHE_READ_FACTOR = 0.1
CACHE_WRITE_FACTOR = 1.25
BATCH_FACTOR = 0.5


def price_for(model: str, prices: Sequence[PriceConfig]) -> PriceConfig:
    """The first entry whose `model` text is in the model id, else the dearest entry."""
    for price in prices:
        if price.model and price.model.lower() in model.lower():
            return price
    if not prices:
        return PriceConfig(model="", input=0.0, output=0.0)
    return max(prices, key=lambda p: (p.output, p.input))


def cost_of(usage: Usage, prices: Sequence[PriceConfig]) -> float:
    """US dollars for one call."""
    price = price_for(usage.model, prices)
    read = price.cache_read if price.cache_read is not None else price.input * CACHE_READ_FACTOR
    write = price.cache_write if price.cache_write is not None else price.input * CACHE_WRITE_FACTOR
    dollars = (
        usage.input_tokens * price.input
        + usage.cache_read_input_tokens * read
        + usage.cache_creation_input_tokens * write
        + usage.output_tokens * price.output
    ) / 1_000_000
    return dollars * (BATCH_FACTOR if usage.batch else 1.0)


def upper_bound(
    model: str,
    input_tokens: int,
    max_output_tokens: int,
    prices: Sequence[PriceConfig],
    *,
    batch: bool = False,
) -> float:
    """The most a call can cost: every input token uncached, every output token used."""
    usage = Usage(model, input_tokens=input_tokens, output_tokens=max_output_tokens, batch=batch)
    return cost_of(usage, prices)


class Budget:
    """Money left for this run's model calls; `None` as the cap means no limit."""

    def __init__(self, cap: float | None, spent: float = 0.0) -> None:
        self.cap = cap
        self.spent = spent

    def allows(self, estimate: float) -> bool:
        """Whether a call that may cost `estimate` keeps the run within its cap."""
        return self.cap is None or self.spent + estimate <= self.cap

    def spend(self, dollars: float) -> None:
        self.spent += dollars

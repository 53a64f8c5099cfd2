"""Pricing model calls from writer.prices, and the per-run cap."""

from __future__ import annotations

import pytest

from aibot.config import DEFAULT_PRICES, PriceConfig
from aibot.models import Usage
from aibot.write.cost import Budget, cost_of, price_for, upper_bound


def test_a_model_is_priced_by_the_first_entry_its_id_contains() -> None:
    assert price_for("claude-sonnet-5-5", DEFAULT_PRICES).model == "sonnet"
    assert price_for("claude-haiku-5-5", DEFAULT_PRICES).model == "haiku"


def test_an_unknown_model_is_priced_at_the_dearest_entry() -> None:
    assert price_for("claude-fable-5-2", DEFAULT_PRICES).model == "opus"


def test_cost_counts_cache_reads_at_a_tenth_writes_at_a_quarter_more_and_batches_at_half() -> None:
    million = 1_000_000
    usage = Usage("claude-sonnet-5-5", input_tokens=million, output_tokens=million,
                  cache_read_input_tokens=million, cache_creation_input_tokens=million)  # fmt: skip
    assert cost_of(usage, DEFAULT_PRICES) == pytest.approx(3 + 15 + 0.3 + 3.75)
    batched = Usage("claude-sonnet-5-5", input_tokens=2_000_000, batch=True)
    assert cost_of(batched, DEFAULT_PRICES) == pytest.approx(3.0)


def test_explicit_cache_prices_win_over_the_multipliers() -> None:
    prices = (PriceConfig("sonnet", 3, 15, cache_read=1, cache_write=2),)
    usage = Usage("claude-sonnet-x", cache_read_input_tokens=1_000_000,
                  cache_creation_input_tokens=1_000_000)  # fmt: skip
    assert cost_of(usage, prices) == pytest.approx(3.0)


def test_the_budget_refuses_a_call_that_could_pass_the_cap() -> None:
    budget = Budget(0.10)
    worst = upper_bound("claude-sonnet-5-5", 12_000, 4_000, DEFAULT_PRICES)
    assert worst == pytest.approx(0.036 + 0.06)
    assert budget.allows(worst)
    budget.spend(0.05)
    assert not budget.allows(worst)
    assert Budget(None, spent=1e9).allows(1e9)

"""Normalize + price on one core: p402 beside the JSON floor and beside LiteLLM's cost function.

Prints figures; asserts nothing. Every contender reads each event as JSON text and writes a
JSON result, on the same 100k mixed provider payloads (bench/payloads.py):

  floor    json.loads + json.dumps of each event (stdlib), nothing else
  p402     orjson.loads + p402.events.build_row(event, PriceBook(), received_at)
           + orjson.dumps(row): what the ingest path does per event
  litellm cost_per_token
           orjson.loads + usage mapped to LiteLLM's arguments + litellm.cost_per_token
           + orjson.dumps of the costs: LiteLLM's cheapest cost entry point
  litellm completion_cost
           the same, through a litellm.Usage in a ModelResponse and
           litellm.completion_cost: the cost function LiteLLM documents for a response

Targets (issue 2): p402 at least 10x LiteLLM, and within 4x of the floor.

    .venv/bin/python bench/normalize_bench.py [--events 100000] [--repeat 3] [--cpu 0]
    .venv/bin/python bench/normalize_bench.py --breakdown   # p402's time by stage

The breakdown calls p402.events' private steps one by one (it follows build_row's body and
must follow it when that changes); each stage's figure is the time added by that step.
"""

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

# LiteLLM must read its bundled price map, never fetch one.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
sys.path.insert(0, str(Path(__file__).parent))

import orjson  # noqa: E402

import loopback  # noqa: E402
from payloads import event_texts  # noqa: E402

RECEIVED_AT = datetime(2026, 1, 6, tzinfo=UTC)
LITELLM_PROVIDER = {"openai": "openai", "anthropic": "anthropic", "google": "gemini",
                    "bedrock": "bedrock", "openrouter": "openrouter"}


def floor(texts: list[bytes]) -> int:
    for text in texts:
        json.dumps(json.loads(text))
    return len(texts)


def p402_path(texts: list[bytes]) -> int:
    from p402.errors import EventRefused
    from p402.events import build_row
    from p402.pricing import PriceBook

    prices, refused = PriceBook(), 0
    for text in texts:
        try:
            orjson.dumps(build_row(orjson.loads(text), prices, RECEIVED_AT))
        except EventRefused:
            refused += 1
    return len(texts) - refused


def litellm_args(provider: str, usage: dict) -> dict:
    """LiteLLM's token arguments from each provider's usage (its own convention: prompt
    tokens include cache reads and writes)."""
    if provider in ("openai", "openrouter"):
        prompt = usage.get("prompt_tokens", usage.get("input_tokens", 0))
        details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
        completion = usage.get("completion_tokens", usage.get("output_tokens", 0))
        return dict(prompt_tokens=prompt, completion_tokens=completion,
                    cache_read_input_tokens=details.get("cached_tokens", 0))
    if provider == "anthropic":
        read = usage.get("cache_read_input_tokens", 0)
        written = usage.get("cache_creation_input_tokens", 0)
        return dict(prompt_tokens=usage["input_tokens"] + read + written,
                    completion_tokens=usage["output_tokens"], cache_read_input_tokens=read,
                    cache_creation_input_tokens=written)
    if provider == "google":
        return dict(prompt_tokens=usage["promptTokenCount"],
                    completion_tokens=usage["candidatesTokenCount"]
                    + usage.get("thoughtsTokenCount", 0),
                    cache_read_input_tokens=usage.get("cachedContentTokenCount", 0))
    read = usage.get("cacheReadInputTokens", 0)
    return dict(prompt_tokens=usage["inputTokens"] + read,
                completion_tokens=usage["outputTokens"], cache_read_input_tokens=read)


def litellm_path(texts: list[bytes]) -> int:
    import litellm

    for text in texts:
        event = orjson.loads(text)
        provider = LITELLM_PROVIDER[event["provider"]]
        model = event["model"] if provider != "openrouter" else f"openrouter/{event['model']}"
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, custom_llm_provider=provider,
            **litellm_args(event["provider"], event["usage"]))
        orjson.dumps({"event_id": event["event_id"], "model": model,
                      "cost_usd": prompt_cost + completion_cost})
    return len(texts)


def litellm_completion_cost(texts: list[bytes]) -> int:
    import litellm

    for text in texts:
        event = orjson.loads(text)
        provider = LITELLM_PROVIDER[event["provider"]]
        model = event["model"] if provider != "openrouter" else f"openrouter/{event['model']}"
        tokens = litellm_args(event["provider"], event["usage"])
        tokens["total_tokens"] = tokens["prompt_tokens"] + tokens["completion_tokens"]
        response = litellm.ModelResponse(model=model, usage=litellm.Usage(**tokens))
        cost = litellm.completion_cost(completion_response=response,
                                       custom_llm_provider=provider)
        orjson.dumps({"event_id": event["event_id"], "model": model, "cost_usd": cost})
    return len(texts)


def best_rate(run: Callable[[list[bytes]], int], texts: list[bytes], repeat: int
              ) -> tuple[float, int, list[float]]:
    """Events per second of the fastest of `repeat` runs, the count done, every run's rate."""
    rates, done = [], 0
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        done = run(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    return max(rates), done, rates


def breakdown(texts: list[bytes], repeat: int) -> None:
    """Microseconds per event spent in each step of p402's path, best of `repeat`."""
    from p402 import events as ev
    from p402.economics import price_call
    from p402.pricing import PriceBook, canonical_provider

    prices = PriceBook()
    parsed = [orjson.loads(t) for t in texts]
    clean = [ev.strip_content(e) for e in parsed]
    sent = [ev._validate(e) for e in clean]
    providers = [canonical_provider(s["provider"]) for s in sent]
    usages = [ev._usage_of(s, p) for s, p in zip(sent, providers)]
    facts = [ev._call_facts(s, u) for s, u in zip(sent, usages)]
    sheets = [prices.sheet(p, s["model"], "", False) for s, p in zip(sent, providers)]
    money = [price_call(u, sh, f) for u, sh, f in zip(usages, sheets, facts)]
    times = [ev._occurred_at(s.get("occurred_at"), RECEIVED_AT) for s in sent]
    rows = [ev._row(s, p, u, m, t, RECEIVED_AT, "api", prices.version)
            for s, p, u, m, t in zip(sent, providers, usages, money, times)]
    stages = {
        "orjson.loads": lambda: [orjson.loads(t) for t in texts],
        "strip_content": lambda: [ev.strip_content(e) for e in parsed],
        "pydantic validate": lambda: [ev._validate(e) for e in clean],
        "normalize usage": lambda: [ev._usage_of(s, p) for s, p in zip(sent, providers)],
        "call facts": lambda: [ev._call_facts(s, u) for s, u in zip(sent, usages)],
        "price sheet lookup": lambda: [
            prices.sheet(canonical_provider(s["provider"]), s["model"],
                         (s.get("service_tier") or ev._usage_tier(s.get("usage")) or ""),
                         False) for s in sent],
        "price_call (Decimal)": lambda: [
            price_call(u, sh, f) for u, sh, f in zip(usages, sheets, facts)],
        "occurred_at check": lambda: [
            ev._occurred_at(s.get("occurred_at"), RECEIVED_AT) for s in sent],
        "row assembly + money text": lambda: [
            ev._row(s, p, u, m, t, RECEIVED_AT, "api", prices.version)
            for s, p, u, m, t in zip(sent, providers, usages, money, times)],
        "orjson.dumps": lambda: [orjson.dumps(r) for r in rows],
    }
    total = 0.0
    print("p402 path by stage (us/event, best of runs):")
    for name, stage in stages.items():
        best = min(_timed(stage) for _ in range(repeat)) / len(texts) * 1e6
        total += best
        print(f"  {name:26} {best:6.2f}")
    print(f"  {'sum of stages':26} {total:6.2f}")


def _timed(stage: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    stage()
    return time.perf_counter() - started


CONTENDERS: dict[str, Callable[[list[bytes]], int]] = {
    "floor": floor, "p402": p402_path, "litellm cost_per_token": litellm_path,
    "litellm completion_cost": litellm_completion_cost,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpu", type=int, default=0, help="the one core to run on")
    parser.add_argument("--breakdown", action="store_true", help="p402's time by stage")
    args = parser.parse_args()

    os.sched_setaffinity(0, {args.cpu})
    loopback.forbid_remote_connections()
    texts = event_texts(args.events)
    if args.breakdown:
        p402_path(texts[:2_000])
        return breakdown(texts, args.repeat)
    started = time.perf_counter()
    import litellm  # noqa: F401  (imported before timing: its import takes seconds)
    import p402.events  # noqa: F401
    warm = texts[:2_000]
    for run in CONTENDERS.values():
        run(warm)  # resolve and cache prices for every model
    print(f"{args.events} events, {sum(map(len, texts)) / len(texts):.0f} bytes each on "
          f"average; core {args.cpu}; load average {os.getloadavg()[0]:.2f}; "
          f"imports + warm-up {time.perf_counter() - started:.1f} s")

    results = {}
    for name, run in CONTENDERS.items():
        rate, done, rates = best_rate(run, texts, args.repeat)
        results[name] = rate
        runs = ", ".join(f"{r:,.0f}" for r in rates)
        print(f"  {name:24} {rate:>9,.0f} events/s {1e6 / rate:7.1f} us/event"
              f"  ({done} ok; runs {runs})")

    p402 = results["p402"]
    for name in ("litellm cost_per_token", "litellm completion_cost"):
        print(f"p402 / {name}: {p402 / results[name]:.1f}x (target >= 10x)")
    print(f"floor / p402: {results['floor'] / p402:.2f}x (target <= 4x)")
    print(f"load average after: {os.getloadavg()[0]:.2f}; "
          f"remote connections attempted: {len(loopback.attempts)}")


if __name__ == "__main__":
    main()

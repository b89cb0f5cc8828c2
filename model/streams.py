"""Random streams per rule and year, so that paired runs keep common random numbers (docs/ODD.md §7.17).

Every rule draws from the model's one generator, ``model.rng``. If its state simply carried on from rule to rule,
one extra or missing draw anywhere — a firm classed D in one arm and C in the other changes how many firms ask for
space, how many projects arrive, which firms exit — would shift every later draw of the run, and two runs meant to
differ by one lever would differ by a fresh set of shocks. Each rule of each year that draws therefore starts the
generator at its own state, derived from the run's seed, the year and the rule's place in the schedule
(:func:`start_rule_stream`): what one rule draws never moves what the next one draws. Rules that draw nothing are
not given a stream (setting a generator's state costs as much as a small draw; ``RANDOM_RULES`` in
:mod:`parkabm.model.schedule` lists the rules that draw, and a test checks that the others leave the generator
alone).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from parkabm.model import kernels

STREAM_WORDS = 4
"""64-bit words of seed material per rule stream: two for the PCG64 state, two for its increment."""


class _Streamed(Protocol):
    rng: np.random.Generator
    year: int
    stream_entropy: int


def rule_stream_state(entropy: int, year: int, rule: int, n_rules: int) -> dict:
    """Return the PCG64 state of rule ``rule`` (its index in the year's schedule) in ``year``.

    The seed material of all ``n_rules`` rules of a year comes from one ``SeedSequence(entropy, spawn_key=(year,))``
    (numpy's recommended way to derive independent streams); each rule's state and (odd) increment are two of its
    128-bit words, so rules and years run on distinct PCG64 streams.

    Args:
        entropy: The run's stream entropy (drawn once from the run's seed when the model is built).
        year: Calendar year.
        rule: Index of the rule among the year's rules.
        n_rules: Number of rules in a year.
    """
    w = _year_words(entropy, year, n_rules)
    k = STREAM_WORDS * rule
    return {"bit_generator": "PCG64",
            "state": {"state": (w[k] << 64) | w[k + 1], "inc": (w[k + 2] << 64) | w[k + 3] | 1},
            "has_uint32": 0, "uinteger": 0}


@lru_cache(maxsize=64)
def _year_words(entropy: int, year: int, n_rules: int) -> tuple[int, ...]:
    """Seed material of every rule of one year (cached: the rules of a year ask for it one after another).

    With the compiled kernels the words of the seed sequence's pool are hashed in one compiled loop
    (:func:`parkabm.model.kernels.seed_words`, the same words as NumPy's ``generate_state``, which costs about as
    much as a small rule).
    """
    seed = np.random.SeedSequence(entropy, spawn_key=(year,))
    n_words = STREAM_WORDS * n_rules
    words: np.ndarray
    if kernels.enabled():
        words = np.empty(n_words, dtype=np.uint64)
        kernels.seed_words(seed.pool, n_words, kernels.SEED_HASH_INIT, kernels.SEED_HASH_MULT, words)
    else:
        words = seed.generate_state(n_words, np.uint64)
    return tuple(words.tolist())  # Python ints, as the PCG64 state takes them


def start_rule_stream(model: _Streamed, rule: int, n_rules: int) -> None:
    """Set ``model.rng`` (the same generator object, so every holder sees it) to the stream of ``rule`` this year.

    A no-op for a model without ``stream_entropy`` or a generator that is not PCG64 (the model always builds a
    PCG64 one).
    """
    bit_generator = model.rng.bit_generator
    if isinstance(bit_generator, np.random.PCG64) and getattr(model, "stream_entropy", None) is not None:
        state: Any = rule_stream_state(model.stream_entropy, model.year, rule, n_rules)
        bit_generator.state = state  # the setter reads the dict and keeps no reference to it

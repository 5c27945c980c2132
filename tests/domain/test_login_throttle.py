"""The throttling rules (domain/login_throttle.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from samad_ivr.domain.login_throttle import FailureCounts, Verdict, decide

counts = st.builds(
    FailureCounts,
    pair=st.integers(0, 50),
    address=st.integers(0, 50),
    username=st.integers(0, 50),
    usual_address=st.booleans(),
)


@given(counts, st.integers(1, 20))
def test_a_usual_address_is_never_refused_for_failures_made_elsewhere(
    c: FailureCounts, limit: int
) -> None:
    if c.usual_address and c.pair < limit and c.address < limit:
        assert decide(c, limit) is not Verdict.REFUSE


@given(counts, st.integers(1, 20))
def test_an_address_over_its_own_limit_is_always_refused(c: FailureCounts, limit: int) -> None:
    if c.pair >= limit or c.address >= limit:
        assert decide(c, limit) is Verdict.REFUSE


def test_a_quiet_account_is_allowed_and_a_new_address_of_an_attacked_one_refused() -> None:
    assert decide(FailureCounts(0, 0, 0, False), 5) is Verdict.ALLOW
    assert decide(FailureCounts(0, 0, 5, False), 5) is Verdict.REFUSE
    assert decide(FailureCounts(0, 0, 5, True), 5) is Verdict.SLOW

"""Login throttling: who may try a password now, who must wait, who is refused.

Failures are counted three ways (all within the window):

* **pair** — this username from this address, since that pair's last success.  A hard
  limit: an attacker's address is throttled for the username it attacks.
* **address** — from this address, for every username.  A hard limit: one address
  cannot spray guesses across many accounts.
* **username** — for this username from every address, since its last success.  Over
  the limit, a new address is refused, but an address the user has logged in from
  before (a *usual* address) is only slowed: guessing at an admin's name from elsewhere
  must not keep the admin out.

Pure: the counts come from storage, which counts and records atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    ALLOW = "allow"
    SLOW = "slow"  # check the password, after a delay
    REFUSE = "refuse"  # answer 429 without checking the password


@dataclass(frozen=True, slots=True)
class FailureCounts:
    pair: int
    address: int
    username: int
    usual_address: bool  # this username has logged in from this address before


def decide(counts: FailureCounts, limit: int) -> Verdict:
    """What to do with one more attempt, given the failures before it."""
    if counts.pair >= limit or counts.address >= limit:
        return Verdict.REFUSE
    if counts.username >= limit:
        return Verdict.SLOW if counts.usual_address else Verdict.REFUSE
    return Verdict.ALLOW

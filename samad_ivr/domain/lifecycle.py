"""The life of a citizen's request after the call: its states and who moves it where.

    registered --assign--> assigned --answer--> answered --accept--> closed
                              |  ^                  |
                     escalate |  | send_back        | reopen (the citizen was not convinced)
                              v  |                  v
                           escalated  <------>  reopened

Every move is an *action*; `next_status(current, action)` either names the new status or
raises `TransitionRefused` with a reason a person can read (English for logs and the API,
Persian for pages).  Who may take an action is a question of rights, answered in the web
layer; this module only knows which moves exist.
"""

from __future__ import annotations

from enum import StrEnum

from samad_ivr.domain.errors import DomainError

__all__ = [
    "ACTION_FA",
    "OPEN_STATUSES",
    "STATUS_FA",
    "TRANSITIONS",
    "Action",
    "Status",
    "TransitionRefused",
    "allowed_actions",
    "next_status",
]


class Status(StrEnum):
    REGISTERED = "registered"
    ASSIGNED = "assigned"
    ANSWERED = "answered"
    CLOSED = "closed"
    REOPENED = "reopened"
    ESCALATED = "escalated"


class Action(StrEnum):
    ASSIGN = "assign"  # desk official, province admin or inspector: agency + topic
    ANSWER = "answer"  # the agency's staff
    ESCALATE = "escalate"  # the deadline job, when the agency did not answer in time
    ACCEPT = "accept"  # an inspector accepts the agency's answer
    SEND_BACK = "send_back"  # an inspector returns it to the agency with a new deadline
    RESOLVE = "resolve"  # an inspector closes it with the inspectors' own resolution
    REOPEN = "reopen"  # the citizen (or an inspector for them) was not convinced


S, A = Status, Action

# (from, action) -> to.  Anything missing is refused.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.REGISTERED, A.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, A.ASSIGN): S.ASSIGNED,  # reassignment to another agency or topic
    (S.ESCALATED, A.ASSIGN): S.ASSIGNED,
    (S.REOPENED, A.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, A.ANSWER): S.ANSWERED,
    # A late answer is still an answer; the reports count it as late.
    (S.ESCALATED, A.ANSWER): S.ANSWERED,
    (S.ASSIGNED, A.ESCALATE): S.ESCALATED,
    (S.ANSWERED, A.ACCEPT): S.CLOSED,
    (S.REOPENED, A.ACCEPT): S.CLOSED,
    (S.ANSWERED, A.SEND_BACK): S.ASSIGNED,
    (S.ESCALATED, A.SEND_BACK): S.ASSIGNED,
    (S.REOPENED, A.SEND_BACK): S.ASSIGNED,
    (S.REGISTERED, A.RESOLVE): S.CLOSED,
    (S.ASSIGNED, A.RESOLVE): S.CLOSED,
    (S.ANSWERED, A.RESOLVE): S.CLOSED,
    (S.ESCALATED, A.RESOLVE): S.CLOSED,
    (S.REOPENED, A.RESOLVE): S.CLOSED,
    (S.ANSWERED, A.REOPEN): S.REOPENED,
    (S.CLOSED, A.REOPEN): S.REOPENED,
}

# Requests somebody still has to act on; `closed` is the only resting state.
OPEN_STATUSES: frozenset[Status] = frozenset(Status) - {Status.CLOSED}

STATUS_FA: dict[Status, str] = {
    S.REGISTERED: "ثبت شده",
    S.ASSIGNED: "ارجاع شده به دستگاه",
    S.ANSWERED: "پاسخ داده شده",
    S.CLOSED: "بسته شده",
    S.REOPENED: "بازگشایی شده (پاسخ قانع‌کننده نبود)",
    S.ESCALATED: "پیگیری ویژهٔ بازرسی (مهلت گذشته)",
}

ACTION_FA: dict[Action, str] = {
    A.ASSIGN: "ارجاع",
    A.ANSWER: "پاسخ",
    A.ESCALATE: "ارجاع به بازرسی",
    A.ACCEPT: "پذیرش پاسخ",
    A.SEND_BACK: "بازگرداندن به دستگاه",
    A.RESOLVE: "بستن با رسیدگی بازرسی",
    A.REOPEN: "بازگشایی",
}


class TransitionRefused(DomainError):
    """The action is not possible from the request's current status."""

    def __init__(self, current: Status, action: Action) -> None:
        self.current = current
        self.action = action
        super().__init__(f"cannot {action.value} a request that is {current.value}")

    @property
    def message_fa(self) -> str:
        return (
            f"«{ACTION_FA[self.action]}» برای درخواستی که در وضعیت «{STATUS_FA[self.current]}»"
            " است ممکن نیست."
        )


def next_status(current: Status, action: Action) -> Status:
    """The status `action` leads to from `current`; `TransitionRefused` if none."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise TransitionRefused(current, action) from None


def allowed_actions(current: Status) -> frozenset[Action]:
    """Every action possible from `current` (pages show only these buttons)."""
    return frozenset(action for (status, action) in TRANSITIONS if status is current)

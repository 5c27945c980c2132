"""Route `health`: the same checks as /healthz, for Asterisk or a monitor over FastAGI.

Sets SAMAD_HEALTH (ok|degraded) and SAMAD_HEALTH_FAILING (database,ami,recordings,spool:
those that fail).  A dialplan can look before it counts on this node, e.g.
`same => n,AGI(agi://127.0.0.1:4573/health)` then `GotoIf($["${SAMAD_HEALTH}" = "ok"]...)`;
a monitor can run the route with any FastAGI client.
"""

from __future__ import annotations

from samad_ivr.agi import variables as v
from samad_ivr.agi.handlers.common import Channel
from samad_ivr.ops.health import HealthChecker


async def handle(channel: Channel, checker: HealthChecker) -> None:
    report = await checker.check()
    await channel.set_variables(
        {
            v.HEALTH_FAILING: ",".join(report.failing),
            v.HEALTH: "ok" if report.ok else "degraded",
        }
    )

"""Every channel variable shared by the dialplan (dialplan/extensions_samad.conf) and us.

Set by the dialplan, read by the service:
"""

from __future__ import annotations

STARTED = "SAMAD_STARTED"  # epoch seconds when the call entered the hotline
ANSWERED = "SAMAD_ANSWERED"  # epoch seconds when the hotline answered
ENDED = "SAMAD_ENDED"  # epoch seconds when the hangup handler ran
# answer|greeting|status|routing|desk|deputy|queue|closed|message|register|fallback
STAGE = "SAMAD_STAGE"
LEG = "SAMAD_LEG"  # the leg last tried: desk|deputy|queue|closed|message|fallback
RECORDING = "SAMAD_REC"  # file name of the MixMonitor recording inside SAMAD_RECDIR
MESSAGE = "SAMAD_MESSAGE"  # file name of the recorded message inside SAMAD_RECDIR
QUEUE_ENTER = "SAMAD_QUEUE_ENTER"  # epoch seconds when the caller joined the queue

# Set by Asterisk's own applications, read by the service.
DIALSTATUS = "DIALSTATUS"
ANSWEREDTIME = "ANSWEREDTIME"
MEMBERINTERFACE = "MEMBERINTERFACE"  # app_queue, setinterfacevar=yes
QEHOLDTIME = "QEHOLDTIME"  # app_queue, setqueueentryvar=yes
LINKEDID = "CHANNEL(linkedid)"
SYSTEMNAME = "SYSTEMNAME"  # asterisk.conf systemname: the node, part of a call's identity

# Set by the service, read by the dialplan (and by the service in later routes).
ROUTE = "SAMAD_ROUTE"  # desk|closed|message: the context samad-route-<ROUTE>
CENTER = "SAMAD_CENTER"
DESK = "SAMAD_DESK"  # inheritable (__) so the queue member leg can ring it
DESK_RING = "SAMAD_DESK_RING"
DEPUTY = "SAMAD_DEPUTY"
DEPUTY_RING = "SAMAD_DEPUTY_RING"
QUEUE = "SAMAD_QUEUE"
QUEUE_MAXWAIT = "SAMAD_QUEUE_MAXWAIT"
MESSAGE_MAX = "SAMAD_MESSAGE_MAX"
OFFICIAL_ID = "SAMAD_OFFICIAL_ID"
DEPUTY_ID = "SAMAD_DEPUTY_ID"
OFFICIAL_PROMPT = "SAMAD_OFFICIAL_PROMPT"
WHO_PROMPTS = "SAMAD_WHO_PROMPTS"  # "answering you today: ..." before the queue
MEMBERNAME = "MEMBERNAME"  # app_queue: the member who answered = the official's id
ANNOUNCE = "SAMAD_ANNOUNCE"  # &-joined prompt names for Playback
CODE_PROMPTS = "SAMAD_CODE_PROMPTS"  # &-joined digit prompts of the tracking code
TRACKING_CODE = "SAMAD_TRACKING_CODE"
REGISTER_DEFERRED = "SAMAD_REGISTER_DEFERRED"  # registration spooled; code follows by SMS
SUBSCRIBED = "SAMAD_SUBSCRIBED"  # 1 when the caller was subscribed to duty notices
AGI_ERROR = "SAMAD_AGI_ERROR"  # set by the FastAGI server when a handler failed

# Status by phone (context samad-status; routes status_lookup and status_resend).
STATUS_TYPED = "SAMAD_STATUS_TYPED"  # set by the dialplan's Read(): the digits typed
STATUS_RESULT = "SAMAD_STATUS_RESULT"  # found|not_found|invalid|limit_*|unavailable
STATUS_PROMPTS = "SAMAD_STATUS_PROMPTS"  # &-joined prompts of the result
STATUS_MENU = "SAMAD_STATUS_MENU"  # &-joined prompts of the closing menu
STATUS_MORE = "SAMAD_STATUS_MORE"  # 1 when another code may be typed on this call
STATUS_RESEND = "SAMAD_STATUS_RESEND"  # 1 when key 2 sends the answer again
STATUS_REQUEST = "SAMAD_STATUS_REQUEST"  # the found request's id (argument of status_resend)
STATUS_RESENT = "SAMAD_STATUS_RESENT"  # sent|already|unavailable

# Values of ROUTE: each names a context samad-route-<value> in the dialplan.
ROUTE_DESK = "desk"
ROUTE_CLOSED = "closed"
ROUTE_MESSAGE = "message"
ROUTE_CALLBACK = "callback"  # set by the samad-callback context: our call back (issue 13)

# Satisfaction callbacks (context samad-satisfaction, routes satisfaction_*).
SATISFACTION_QUESTION = "SAMAD_SAT_QUESTION"  # set by the Originate: the question's id
SATISFACTION_KEY = "SAMAD_SAT_KEY"  # the key the citizen pressed (Read in the dialplan)
SATISFACTION_RESULT = "SAMAD_SAT_RESULT"  # convinced|not_convinced|none: what to play next

# Route `health` (agi://samad/health, for Asterisk or a monitor): the node's own checks.
HEALTH = "SAMAD_HEALTH"  # ok|degraded
HEALTH_FAILING = "SAMAD_HEALTH_FAILING"  # comma-joined failing checks: database,ami,...

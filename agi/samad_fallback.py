#!/usr/bin/env python3
"""Classic AGI fallback for the Samad hotline, run by Asterisk when FastAGI fails.

Asterisk starts this script from its agi-bin directory when the samad-ivr service cannot
be reached (or reported an error).  It keeps the caller's request alive without any
service, database or network:

    AGI(samad_fallback.py,message)    apology, then record the caller's message
    AGI(samad_fallback.py,post_call)  (hangup handler) spool the call for later intake

The spool file is the same JSON call report the service writes when its database is
down; the service's intake job replays it (registers the request, queues the SMS).
Caller ID reaches us unescaped: it is only ever stored as JSON data, never put into a
command, a path or a shell.
"""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "samad_lib"))

from asterisk.agi import AGI, AGIAppError, AGIException

SPOOL_VERSION = 1
UNIQUEID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # fullmatch: `$` passes a trailing newline
# Channel variables copied into the report; names match samad_ivr/agi/variables.py.
REPORT_VARIABLES = {
    "linkedid": "CHANNEL(linkedid)",
    "systemname": "SYSTEMNAME",
    "started_epoch": "SAMAD_STARTED",
    "answered_epoch": "SAMAD_ANSWERED",
    "ended_epoch": "SAMAD_ENDED",
    "stage": "SAMAD_STAGE",
    "route": "SAMAD_ROUTE",
    "leg": "SAMAD_LEG",
    "dialstatus": "DIALSTATUS",
    "answered_seconds": "ANSWEREDTIME",
    "member_interface": "MEMBERINTERFACE",
    "queue_enter_epoch": "SAMAD_QUEUE_ENTER",
    "queue_hold_seconds": "QEHOLDTIME",
    "recording": "SAMAD_REC",
    "message": "SAMAD_MESSAGE",
    "official_id": "SAMAD_OFFICIAL_ID",
    "center": "SAMAD_CENTER",
    "tracking_code": "SAMAD_TRACKING_CODE",
    "spool_dir": "SAMAD_SPOOLDIR",
    "recordings_dir": "SAMAD_RECDIR",
}


def read_variable(agi, name):
    try:
        value = agi.get_full_variable(f"${{{name}}}")
    except (AGIException, AGIAppError):
        return ""
    return value if isinstance(value, str) else ""


def record_message(agi):
    recdir = read_variable(agi, "SAMAD_RECDIR")
    message = read_variable(agi, "SAMAD_MESSAGE")
    uniqueid = agi.env.get("agi_uniqueid", "")
    # Only the file our dialplan names for this call: never overwrite another file.
    if not recdir or not UNIQUEID.fullmatch(uniqueid) or message != f"{uniqueid}-message.wav":
        return
    agi.stream_file("fallback-apology")
    base = os.path.join(recdir, message[: -len(".wav")])
    max_ms = 180000
    # RECORD FILE <file> <format> <escape digits> <timeout> <offset> <beep> <s=silence>
    agi.execute("RECORD FILE", base, "wav", "#", max_ms, 0, "BEEP", "s=3")


def spool_call(agi):
    uniqueid = agi.env.get("agi_uniqueid", "")
    if not UNIQUEID.fullmatch(uniqueid):
        return
    report = {name: read_variable(agi, variable) for name, variable in REPORT_VARIABLES.items()}
    report.update(
        version=SPOOL_VERSION,
        source="fallback",
        uniqueid=uniqueid,
        caller_raw=agi.env.get("agi_callerid", ""),
        caller_name_raw=agi.env.get("agi_calleridname", ""),
        spooled_at=time.time(),
    )
    spool_dir = report.pop("spool_dir") or "/var/spool/asterisk/samad/spool"
    os.makedirs(spool_dir, exist_ok=True)
    final = os.path.join(spool_dir, f"{uniqueid}.post_call.json")
    partial = final + ".part"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(report, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, final)


def main(argv):
    mode = argv[1] if len(argv) > 1 else "message"
    agi = AGI()
    if mode == "post_call":
        spool_call(agi)
    else:
        record_message(agi)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

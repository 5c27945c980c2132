"""Everything the soak runs, each of its own: PostgreSQL cluster, Kannel, Asterisk, samad-ivr.

The soak never touches the shared dev cluster, the shared test Kannel or another
engineer's Asterisk: every port follows the Asterisk AMI port of its instance (as in
scripts/asterisk-dev.sh), every directory is under /var/lib/samad-ivr/soak-<instance>.
The same scripts as the dev setup start them (scripts/postgres-dev.sh, kannel-dev.sh,
asterisk-dev.sh), pointed at those ports and directories by their environment variables.
The faults are methods here: each returns once the fault has been applied.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.db import CENTER
from benchmarks.harness import PYTHON, REPO

log = logging.getLogger(__name__)

AMI_SECRET = "samad-dev-secret"
SMS_TOKEN = "soak-callback-token-0123456789"
DATABASE = "samad_soak"
MAX_FREEZE_S = 10.0


@dataclass(frozen=True)
class Ports:
    instance: str
    ami: int
    agi: int

    @property
    def offset(self) -> int:
        return self.ami - 5038

    @property
    def postgres(self) -> int:
        return 5600 + self.offset

    @property
    def web(self) -> int:
        return 18000 + self.offset

    @property
    def kannel(self) -> tuple[int, int, int]:
        """admin, smsbox, sendsms (the shared test Kannel is 13100/13101/13113)."""
        base = 13200 + 3 * self.offset
        return base, base + 1, base + 2


@dataclass
class Stack:
    ports: Ports
    base: Path = field(init=False)
    asterisk_env: dict[str, str] = field(default_factory=dict)
    service: subprocess.Popen[bytes] | None = None
    service_starts: int = 0
    started: list[str] = field(default_factory=list)
    access_log_offset: int = 0  # Kannel's access log before this run: earlier runs' sends

    def __post_init__(self) -> None:
        self.base = Path("/var/lib/samad-ivr") / f"soak-{self.ports.instance}"

    # --- environment of each script -------------------------------------------------
    def _pg_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SAMAD_PG_DIR": str(self.base / "pg"),
            "SAMAD_PG_PORT": str(self.ports.postgres),
        }

    def _kannel_env(self) -> dict[str, str]:
        admin, smsbox, sendsms = self.ports.kannel
        return {
            **os.environ,
            "SAMAD_KANNEL_DIR": str(self.base / "kannel"),
            "SAMAD_KANNEL_ADMIN_PORT": str(admin),
            "SAMAD_KANNEL_SMSBOX_PORT": str(smsbox),
            "SAMAD_KANNEL_SENDSMS_PORT": str(sendsms),
            "SAMAD_KANNEL_MO_URL": f"http://127.0.0.1:{self.ports.web}/sms/kannel/mo/{SMS_TOKEN}",
        }

    def _ast_env(self) -> dict[str, str]:
        extra = (
            REPO / "dialplan/demo/extensions_demo.conf",
            REPO / "tests/e2e/extensions_test.conf",
            Path(__file__).with_name("extensions_soak.conf"),
        )
        return {
            **os.environ,
            "SAMAD_ASTERISK_INSTANCE": self.ports.instance,
            "SAMAD_AGI_BIND": f"127.0.0.1:{self.ports.agi}",
            "SAMAD_AMI_PORT": str(self.ports.ami),
            "SAMAD_ASTERISK_EXTRA_CONF": " ".join(str(p) for p in extra),
            "SAMAD_ASTERISK_BROWSER_DESKS": "no",
        }

    @staticmethod
    def _script(name: str, env: dict[str, str], *args: str, timeout: float = 600) -> str:
        proc = subprocess.run(
            [str(REPO / "scripts" / name), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{name} {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
        return proc.stdout

    @property
    def database_url(self) -> str:
        return f"postgresql://samad@127.0.0.1:{self.ports.postgres}/{DATABASE}"

    @property
    def admin_url(self) -> str:
        return f"postgresql://samad@127.0.0.1:{self.ports.postgres}/samad"

    @property
    def recordings_dir(self) -> Path:
        return Path(self.asterisk_env["SAMAD_RECORDINGS_DIR"])

    @property
    def spool_dir(self) -> Path:
        return Path(self.asterisk_env["SAMAD_SPOOL_DIR"])

    @property
    def kannel_access_log(self) -> Path:
        return self.base / "kannel" / "access.log"

    # --- start and stop -------------------------------------------------------------
    def start_postgres(self) -> None:
        self._script("postgres-dev.sh", self._pg_env(), "start")
        if "postgres" not in self.started:
            self.started.append("postgres")

    def start_kannel(self) -> None:
        self._script("kannel-dev.sh", self._kannel_env(), "start")
        if "kannel" not in self.started:
            self.started.append("kannel")
            log_file = self.kannel_access_log
            self.access_log_offset = log_file.stat().st_size if log_file.exists() else 0

    def start_asterisk(self) -> None:
        out = self._script("asterisk-dev.sh", self._ast_env(), "start")
        self.started.append("asterisk")
        self.asterisk_env = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        # Ten seconds of digital silence for the test caller (tests/e2e/extensions_test.conf).
        silence = Path(self.asterisk_env["SAMAD_SOUNDS_DIR"]) / "samad-test" / "silence.sln"
        silence.parent.mkdir(parents=True, exist_ok=True)
        silence.write_bytes(bytes(2 * 8000 * 10))
        spooled = (self.spool_dir.glob(p) for p in ("*.json", "done/*", "rejected/*"))
        for stale in (*self.recordings_dir.glob("*"), *(f for g in spooled for f in g)):
            if stale.is_file():  # a fresh database: earlier runs' files would be orphans
                stale.unlink()

    def spool_counts(self) -> dict[str, int]:
        """Spool files of this run: waiting, replayed (done/), set aside (rejected/)."""
        return {
            "waiting": len(list(self.spool_dir.glob("*.json"))),
            "replayed": len(list(self.spool_dir.glob("done/*.json"))),
            "rejected": len(list(self.spool_dir.glob("rejected/*.json"))),
        }

    def service_env(self) -> dict[str, str]:
        return {
            **os.environ,
            **self.asterisk_env,
            "SAMAD_DATABASE_URL": self.database_url,
            "SAMAD_AGI_BIND": f"127.0.0.1:{self.ports.agi}",
            "SAMAD_AMI_PORT": str(self.ports.ami),
            "SAMAD_AMI_SECRET": AMI_SECRET,
            "SAMAD_WEB_BIND": f"127.0.0.1:{self.ports.web}",
            "SAMAD_CENTER": CENTER,
            "SAMAD_DESK_RING_SECONDS": "4",
            "SAMAD_DEPUTY_RING_SECONDS": "4",
            "SAMAD_QUEUE_MAX_WAIT_SECONDS": "4",
            "SAMAD_MESSAGE_MAX_SECONDS": "12",
            "SAMAD_SMS_PROVIDER": "kannel",
            "SAMAD_SMS_KANNEL_URL": f"http://127.0.0.1:{self.ports.kannel[2]}/cgi-bin/sendsms",
            "SAMAD_SMS_CALLBACK_TOKEN": SMS_TOKEN,
            "SAMAD_SMS_RETRY_BASE_SECONDS": "2",
            "SAMAD_SMS_RETRY_MAX_SECONDS": "10",
            "SAMAD_SMS_SEND_TIMEOUT_SECONDS": "5",
            "SAMAD_SMS_LEASE_SECONDS": "30",
            "SAMAD_SMS_DAILY_CAP": "1000",
        }

    def start_service(self) -> None:
        """`samad-ivr serve` as deployed, in a subprocess; returns once FastAGI listens."""
        self.service_starts += 1
        path = self.base / f"service-{self.service_starts}.log"
        with path.open("w") as out:
            self.service = subprocess.Popen(
                [PYTHON, "-m", "samad_ivr", "serve"],
                cwd=REPO,
                env=self.service_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_port(self.ports.agi, 60, self.service)

    def stop_service(self) -> None:
        proc, self.service = self.service, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGCONT)  # a stopped process cannot handle SIGTERM
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        """Stop what this run started, in reverse order; every step is attempted."""
        self.stop_service()
        for name in reversed(self.started):
            try:
                if name == "asterisk":
                    self._script("asterisk-dev.sh", self._ast_env(), "stop", timeout=120)
                elif name == "kannel":
                    self._script("kannel-dev.sh", self._kannel_env(), "stop", timeout=60)
                elif name == "postgres":
                    self._script("postgres-dev.sh", self._pg_env(), "stop", timeout=120)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                log.error("soak: stopping %s failed: %s", name, exc)
        self.started.clear()

    def rx(self, command: str) -> str:
        return self._script("asterisk-dev.sh", self._ast_env(), "rx", command, timeout=60)

    # --- faults ---------------------------------------------------------------------
    def kill_service(self, freeze_s: float) -> int:
        """A stalled loop, then a crash: SIGSTOP for ``freeze_s`` (the FastAGI sessions that
        arrive meanwhile wait inside the service; longer, up to MAX_FREEZE_S, until one
        does), then SIGKILL, so no shutdown handler runs
        and those sessions die mid-command.  Returns how many FastAGI connections were
        open at the kill."""
        assert self.service is not None
        self.service.send_signal(signal.SIGSTOP)
        time.sleep(freeze_s)
        open_sessions = self.agi_connections()
        until = time.monotonic() + MAX_FREEZE_S  # longer while no call is caught inside
        while open_sessions == 0 and time.monotonic() < until:
            time.sleep(0.5)
            open_sessions = self.agi_connections()
        self.service.send_signal(signal.SIGKILL)
        self.service.wait(timeout=10)
        self.service = None
        return open_sessions

    def agi_connections(self) -> int:
        out = subprocess.run(
            ["ss", "-tnH", "state", "established", f"( sport = :{self.ports.agi} )"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
        return len([line for line in out.splitlines() if line.strip()])

    def stop_postgres(self) -> None:
        self._script("postgres-dev.sh", self._pg_env(), "stop", timeout=120)

    def stop_kannel(self) -> None:
        self._script("kannel-dev.sh", self._kannel_env(), "stop", timeout=60)

    def ami_sessions(self) -> list[str]:
        """File descriptors of the AMI sessions of our user (samad-ivr's and the soak's)."""
        connected = self.rx("manager show connected")
        return re.findall(r"^\s*samad\s+\S+\s+\d+\s+\d+\s+(\d+)\s", connected, re.M)

    def cut_ami(self) -> int:
        """Asterisk closes every AMI session of our user; Asterisk and its calls go on."""
        descriptors = self.ami_sessions()
        for descriptor in descriptors:
            self.rx(f"manager kick session {descriptor}")
        return len(descriptors)

    def service_alive(self) -> bool:
        return self.service is not None and self.service.poll() is None


def _wait_port(port: int, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"samad-ivr serve exited with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on {port} after {timeout}s")

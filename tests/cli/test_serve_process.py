"""`make run`'s server (`minqing serve --console`) as a real process the way servers run it:
stdin closed (nohup, systemd, docker, CI), stopped by SIGTERM or Ctrl-C (SIGINT). It serves
/healthz, keeps serving after end of input, and stops with status 0 and no traceback — its
worker process included."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_LIMIT_S = 90.0  # loading the parser on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthz(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status
    except OSError:
        return None


def start(tmp_path: Path, port: int, stdin=subprocess.DEVNULL, scheduler: bool = False) -> subprocess.Popen:
    # the learned models' shared cache (MINQING_NLU_CACHE) is kept: it is not configuration
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_") or k == "MINQING_NLU_CACHE"}
    env.update(
        MINQING_SERVER_PORT=str(port),
        MINQING_DATABASE_URL=f"sqlite:///{tmp_path}/serve.db",
        MINQING_DATA_DIR=str(tmp_path / "data"),
        MINQING_SERVER_WORKERS="1",
        PYTHONPATH=str(ROOT),
    )
    flags = [] if scheduler else ["--no-scheduler"]
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--console", *flags],
        cwd=tmp_path,
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_healthy(proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + START_LIMIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _out, err = proc.communicate()
            pytest.fail(f"server exited with {proc.returncode} before serving:\n{err[-2000:]}")
        if healthz(port) == 200:
            return
        time.sleep(0.2)  # poll interval of a bounded wait, not an assertion
    proc.kill()
    pytest.fail("server did not answer /healthz in time")


def run_then_stop(proc: subprocess.Popen, port: int, check, stop: int) -> str:
    """Wait until the server answers, run `check`, send `stop`; its stderr once it has exited
    with status 0 (or 130 for SIGINT). The process is killed if anything fails on the way."""
    try:
        wait_healthy(proc, port)
        check()
        proc.send_signal(stop)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode in (0, 130), err[-2000:]
    return err


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_with_stdin_closed_answers_healthz_and_stops_cleanly(tmp_path, stop):
    port = free_port()
    proc = start(tmp_path, port)

    def still_serving() -> None:
        assert healthz(port) == 200  # still serving after the console saw end of input

    err = run_then_stop(proc, port, still_serving, stop)
    assert "Traceback" not in err and "Error" not in err.replace("ERROR", ""), err[-2000:]
    assert "serving without the console" in err
    assert healthz(port) is None


@pytest.mark.parametrize("end_of_input", [True, False])
def test_console_on_a_terminal_end_of_input_keeps_serving_and_ctrl_c_does_not_hang(tmp_path, end_of_input):
    """`make run` in a terminal: Ctrl-D closes the console only; Ctrl-C while the console
    waits for a line stops everything at once (it used to wait for Enter)."""
    import pty

    port = free_port()
    master, slave = pty.openpty()
    proc = start(tmp_path, port, stdin=slave)
    os.close(slave)
    try:
        wait_healthy(proc, port)
        if end_of_input:
            os.write(master, b"\x04")  # Ctrl-D at the start of a line: end of input
            deadline = time.monotonic() + 30
            while "console closed" not in (line := proc.stderr.readline()) and time.monotonic() < deadline:
                assert line, "server exited after end of input"
            assert healthz(port) == 200
        proc.send_signal(signal.SIGINT)  # with end_of_input False: while the console waits for a line
        out, err = proc.communicate(timeout=30)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode in (0, 130) and "Traceback" not in err, err[-2000:]
    assert "民情通 控制台" in out


def test_serve_with_the_scheduler_starts_it_and_stops_cleanly(tmp_path):
    """The default `make run`: the scheduler (catch-up, jobs, nightly retraining) runs beside the server."""
    port = free_port()
    proc = start(tmp_path, port, scheduler=True)
    started = ""

    def scheduler_started() -> None:
        nonlocal started
        deadline = time.monotonic() + 60
        while "scheduler started" not in started and time.monotonic() < deadline:
            started = proc.stderr.readline()
            assert started, "server exited before the scheduler started"

    err = run_then_stop(proc, port, scheduler_started, signal.SIGTERM)
    assert "Traceback" not in err, err[-2000:]
    assert "visit_duties" in started and "nlu_retrain" in started

"""Real OS faults under `searchsvc index` (issue #11, points 1-4): each one a one-line message
with a documented exit code, the live index untouched, and nothing unreadable ever removed.

Faults are real, not mocked: permissions are enforced by running the CLI as root without the
capabilities that bypass them (``setpriv --bounding-set=-dac_override,...``; a normal user
needs nothing), a read-only disk is a read-only bind mount and a full disk a small tmpfs. A
test skips, saying why, when it cannot make its fault here (no setpriv, mounts not permitted).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from searchsvc.cli import main
from searchsvc.index import current_generation
from searchsvc.search import search
from searchsvc.session import Engine

from .conftest import BASE_URL, article_html, make_index

NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


def _unprivileged_prefix() -> list[str] | None:
    """The command prefix under which file modes apply (None when none can be made here)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        return None
    probe = subprocess.run([*NO_DAC, "true"], capture_output=True)
    return NO_DAC if probe.returncode == 0 else None


UNPRIVILEGED = _unprivileged_prefix()
needs_modes = pytest.mark.skipif(
    UNPRIVILEGED is None, reason="running as root without setpriv: file modes cannot apply"
)


def cli(*args: str, env: dict[str, str] | None = None, as_user: bool = False):
    """``searchsvc ARGS`` in a subprocess (under file modes when ``as_user``)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    clean |= {"SEARCHSVC_BASE_URL": BASE_URL, "SEARCHSVC_WORKERS": "1"} | (env or {})
    prefix = UNPRIVILEGED if as_user else []
    command = [*prefix, sys.executable, "-m", "searchsvc", *args]
    return subprocess.run(command, capture_output=True, text=True, env=clean, timeout=120)


def index_cli(corpus: Path, index_dir: Path, *args: str, **kwargs):
    return cli("index", str(corpus), "--index-dir", str(index_dir), *args, **kwargs)


def found(index_dir: Path, query: str) -> bool:
    """Whether the live index finds ``query`` (searched in this process: no fault here)."""
    with Engine(index_dir, cache_size=0).session() as view:
        return search(view, query).total > 0


def one_line_error(result, text: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and text in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@contextmanager
def mode(path: Path, bits: int):
    old = path.stat().st_mode & 0o777
    path.chmod(bits)
    try:
        yield
    finally:
        path.chmod(old)


@contextmanager
def mounted(*command: str, target: Path):
    """``mount COMMAND TARGET`` for the block, always unmounted; skip when not permitted."""
    result = subprocess.run(["mount", *command, str(target)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount here ({result.stderr.strip() or 'not permitted'})")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


# --- 1. a stale lock is taken over, a live one refused ----------------------------------------


def hold_lock(index_dir: Path, pid_text: str) -> subprocess.Popen:
    """A process that holds the lock with ``pid_text`` in it, as a killed run's workers did."""
    code = (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(index_dir / '.lock')!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.ftruncate(fd, 0)\n"
        f"os.write(fd, ({pid_text!r} or str(os.getpid())).encode())\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True)  # fmt: skip
    return int(proc.stdout)


def test_a_lock_held_for_a_dead_writer_is_stale_and_taken_over(tmp_path):
    corpus, index_dir = make_index(tmp_path)
    (corpus / "sleep/new.html").write_text(article_html("Naps", [("", "Siesta habits differ.")]))
    pid = dead_pid()
    holder = hold_lock(index_dir, str(pid))
    try:
        result = index_cli(corpus, index_dir)
    finally:
        holder.kill()
        holder.communicate()
    assert result.returncode == 0, result.stderr
    assert f"(pid {pid}) is gone" in result.stderr and "stale" in result.stderr
    assert found(index_dir, "siesta")


def test_a_lock_held_by_its_live_writer_is_refused(tmp_path):
    corpus, index_dir = make_index(tmp_path)
    holder = hold_lock(index_dir, "")
    try:
        result = index_cli(corpus, index_dir)
    finally:
        holder.kill()
        holder.communicate()
    one_line_error(result, f"another `searchsvc index` (pid {holder.pid}) is writing")


def test_a_run_after_a_killed_one_says_the_lock_was_stale(tmp_path):
    corpus, index_dir = make_index(tmp_path)
    (index_dir / ".lock").write_text(str(dead_pid()))  # what a killed writer leaves
    result = index_cli(corpus, index_dir)
    assert result.returncode == 0 and "did not finish" in result.stderr, result.stderr


# --- 2. OS errors writing the index: one line, exit 1, the live index as it was ---------------


def test_read_only_index_folder(tmp_path):
    corpus, index_dir = make_index(tmp_path)
    before = current_generation(index_dir)
    with mounted("--bind", "-o", "ro", str(index_dir), target=index_dir):
        if os.access(index_dir, os.W_OK) and _writable(index_dir):
            pytest.skip("the read-only bind mount is writable here")
        result = index_cli(corpus, index_dir, "--rebuild")
    one_line_error(result, f"cannot write the index in {index_dir}: Read-only file system")
    assert current_generation(index_dir) == before and found(index_dir, "adenosine")


def _writable(folder: Path) -> bool:
    try:
        (folder / ".probe").touch()
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


@needs_modes
def test_index_folder_without_write_permission(tmp_path):
    corpus, index_dir = make_index(tmp_path)
    before = current_generation(index_dir)
    with mode(index_dir, 0o555):
        result = index_cli(corpus, index_dir, "--rebuild", as_user=True)
    one_line_error(result, f"cannot write the index in {index_dir}: Permission denied")
    assert current_generation(index_dir) == before and found(index_dir, "adenosine")


@needs_modes
def test_lock_file_without_permission(tmp_path):
    corpus, index_dir = make_index(tmp_path)
    with mode(index_dir / ".lock", 0o000):
        result = index_cli(corpus, index_dir, as_user=True)
    one_line_error(result, f"cannot open the index lock {index_dir}/.lock: Permission denied")


def test_no_space_left_is_one_line_and_the_live_index_stays(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=2m", "tmpfs", target=disk):
        corpus, index_dir = make_index(disk)
        before = current_generation(index_dir)
        filler = disk / "filler"
        with open(filler, "wb") as f, pytest.raises(OSError):
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        result = index_cli(corpus, index_dir, "--rebuild")
        one_line_error(result, f"cannot write the index in {index_dir}: No space left on device")
        assert current_generation(index_dir) == before and found(index_dir, "adenosine")
        assert sorted(p.name for p in index_dir.glob("gen-*")) == [before.name]


def test_index_dir_that_cannot_be_created(tmp_path):
    corpus, _ = make_index(tmp_path)
    result = index_cli(corpus, Path("/proc/searchsvc-nope"))
    one_line_error(result, "cannot create the index folder /proc/searchsvc-nope: No such file")


# --- 2. the walk: broken links, loops, files vanishing -----------------------------------------


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda link: link.symlink_to("/nonexistent/page.html"), "broken link"),
        (lambda link: link.symlink_to(link.name), "link loop"),
    ],
    ids=["dangling", "loop"],
)
def test_a_bad_link_is_skipped_with_its_reason(tmp_path, make, reason):
    corpus, index_dir = make_index(tmp_path)
    make(corpus / "sleep" / "bad.html")
    result = index_cli(corpus, index_dir)
    assert result.returncode == 3, result.stderr
    assert f"skipped {corpus}/sleep/bad.html: {reason}" in result.stderr
    assert "Traceback" not in result.stderr and "5 articles" in result.stdout


def test_files_churning_during_the_walk_never_stop_a_run(tmp_path):
    corpus, index_dir = make_index(tmp_path)
    stop = threading.Event()

    def churn():
        n = 0
        while not stop.is_set():
            page = corpus / "wellbeing" / f"churn{n % 40}.html"
            page.write_text(article_html(f"Churn {n}", [("", "Transient page text here.")]))
            (corpus / "wellbeing" / f"churn{(n + 20) % 40}.html").unlink(missing_ok=True)
            n += 1

    thread = threading.Thread(target=churn)
    thread.start()
    try:
        codes = [index_cli(corpus, index_dir, "--allow-removals").returncode for _ in range(3)]
    finally:
        stop.set()
        thread.join()
    assert set(codes) <= {0, 3}, codes


# --- 3. an unreadable folder or page is an error for its pages, never a removal ----------------


@needs_modes
def test_an_unreadable_folder_keeps_its_indexed_pages(tmp_path):
    corpus, index_dir = make_index(tmp_path)
    with mode(corpus / "sleep", 0o000):
        result = index_cli(corpus, index_dir, as_user=True)
        rebuild = index_cli(corpus, index_dir, "--rebuild", as_user=True)
    assert result.returncode == 3, result.stderr
    assert f"skipped {corpus}/sleep: cannot read folder: Permission denied" in result.stderr
    assert "0 removed" in result.stdout and found(index_dir, "adenosine")
    one_line_error(rebuild, "a rebuild would drop 2 indexed articles")
    assert found(index_dir, "adenosine")


@needs_modes
def test_an_unreadable_page_keeps_its_indexed_version(tmp_path):
    corpus, index_dir = make_index(tmp_path)
    page = corpus / "sleep/caffeine.html"
    page.write_text(article_html("Caffeine", [("", "New text about theobromine instead.")]))
    with mode(page, 0o000):
        result = index_cli(corpus, index_dir, as_user=True)
    assert result.returncode == 3, result.stderr
    assert f"skipped {page}: cannot read" in result.stderr and "Permission denied" in result.stderr
    assert found(index_dir, "adenosine") and not found(index_dir, "theobromine")


# --- 4. links out of the corpus are not followed unless allowed -------------------------------


def test_links_out_of_the_corpus_are_skipped_unless_the_setting_allows(tmp_path):
    corpus, index_dir = make_index(tmp_path)
    outside = tmp_path / "outside.html"
    outside.write_text(article_html("Outside", [("", "Confidential quarterly figures.")]))
    (corpus / "wellbeing/outside.html").symlink_to(outside)
    (corpus / "wellbeing/inside.html").symlink_to(corpus / "sleep/caffeine.html")
    result = index_cli(corpus, index_dir)
    assert result.returncode == 3 and "links outside the corpus folder" in result.stderr
    assert not found(index_dir, "quarterly") and "1 added" in result.stdout  # inside.html
    allowed = index_cli(corpus, index_dir, env={"SEARCHSVC_FOLLOW_EXTERNAL_LINKS": "true"})
    assert allowed.returncode == 0, allowed.stderr
    assert found(index_dir, "quarterly")


def test_a_bad_follow_links_setting_names_the_variable(runner, tmp_path):
    corpus, index_dir = make_index(tmp_path)
    args = ["index", str(corpus), "--index-dir", str(index_dir)]
    result = runner.invoke(main, args, env={"SEARCHSVC_FOLLOW_EXTERNAL_LINKS": "maybe"})
    assert result.exit_code == 2
    assert "SEARCHSVC_FOLLOW_EXTERNAL_LINKS='maybe' is not allowed: give 1 or 0" in result.stderr

"""Running the lifecircle program: finding it, streaming its progress and messages to the
Processing feedback, and stopping it when the user cancels.

lifecircle writes its outputs into a staging folder and moves them into place only when the
run succeeds, so a cancelled run leaves the output folder as it was.
"""

import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time

from qgis.core import QgsProcessingException

#: The Processing setting holding the program's path.
SETTING = "LIFECIRCLE_EXECUTABLE"

#: Environment variable overriding both the setting and PATH (used by the tests).
ENVIRONMENT = "LIFECIRCLE_EXECUTABLE"

PROGRESS = re.compile(r"^lifecircle: progress: (.*) (\d+)/(\d+)$")
WARNING = "lifecircle: warning: "
ERROR = "lifecircle: error: "

#: Seconds a cancelled run has to stop before it is killed.
KILL_AFTER_S = 30

#: Exit status of a run whose target was missed with --fail-on-target.
TARGET_MISSED = 3


def find_executable():
    """The lifecircle program: the environment variable, else the provider's setting,
    else PATH, else Cargo's install folder."""
    candidates = [os.environ.get(ENVIRONMENT, "")]
    try:
        from processing.core.ProcessingConfig import ProcessingConfig

        candidates.append(ProcessingConfig.getSetting(SETTING) or "")
    except ImportError:
        pass
    candidates.append(shutil.which("lifecircle") or "")
    candidates.append(os.path.expanduser("~/.cargo/bin/lifecircle"))
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise QgsProcessingException(
        "The lifecircle program was not found. Install it (make install puts it in "
        "~/.cargo/bin) or set its path in Settings > Options > Processing > Providers > "
        "lifecircle."
    )


def _pump(stream, name, lines):
    for line in iter(stream.readline, ""):
        lines.put((name, line.rstrip("\r\n")))
    lines.put((name, None))


def run(arguments, feedback):
    """Runs lifecircle with `arguments` (plus --progress-lines); returns its exit status
    (0, or TARGET_MISSED). Raises QgsProcessingException on an error or when cancelled,
    with lifecircle's own error message."""
    command = [find_executable()] + [str(a) for a in arguments] + ["--progress-lines"]
    feedback.pushCommandInfo(" ".join(_quoted(a) for a in command))
    # On Windows, a process group of its own, so that cancelling can send it Ctrl+Break
    # (which lifecircle handles as an interrupt) instead of killing it outright.
    group = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) if os.name == "nt" else 0
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
        creationflags=group,
    )
    lines = queue.Queue()
    for stream, name in ((process.stdout, "out"), (process.stderr, "err")):
        threading.Thread(target=_pump, args=(stream, name, lines), daemon=True).start()
    errors = []
    open_streams = 2
    cancelled = None
    while open_streams:
        if feedback.isCanceled() and cancelled is None:
            cancelled = time.monotonic()
            _interrupt(process)
        elif cancelled is not None and time.monotonic() - cancelled > KILL_AFTER_S:
            process.kill()  # it did not stop when asked: its staging folder may remain
        try:
            name, line = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        if line is None:
            open_streams -= 1
        elif name == "out":
            feedback.pushConsoleInfo(line)
        else:
            _report(line, feedback, errors)
    status = process.wait()
    process.stdout.close()
    process.stderr.close()
    if cancelled is not None:
        raise QgsProcessingException(
            "Cancelled: lifecircle stopped and left the output folder as it was."
        )
    if status not in (0, TARGET_MISSED):
        message = "\n".join(errors) or "lifecircle stopped with status {}".format(status)
        raise QgsProcessingException(message)
    return status


def _interrupt(process):
    """Asks lifecircle to stop as Ctrl+C would: it removes its staging folder and leaves
    the output folder as it was."""
    if os.name == "nt":
        process.send_signal(signal.CTRL_BREAK_EVENT)
    else:
        process.send_signal(signal.SIGTERM)


def _report(line, feedback, errors):
    progress = PROGRESS.match(line)
    if progress:
        step, done, total = progress.group(1), int(progress.group(2)), int(progress.group(3))
        feedback.setProgressText(step)
        feedback.setProgress(100.0 * done / total if total else 0.0)
    elif line.startswith(WARNING):
        feedback.pushWarning(line[len(WARNING):])
    elif line.startswith(ERROR):
        errors.append(line[len(ERROR):])
        feedback.reportError(line[len(ERROR):], fatalError=True)
    elif line.strip():
        errors.append(line)
        feedback.pushInfo(line)


def _quoted(argument):
    return '"{}"'.format(argument) if " " in argument else argument

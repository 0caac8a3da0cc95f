"""What a server process costs, read from /proc: CPU time, peak and current RSS, and the TCP
connections it holds to the broker. The same probe measures the gateway and the bare baselines."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_ESTABLISHED = "01"


class Probe:
    """Reads one process's counters; the process must be alive."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._proc = Path(f"/proc/{pid}")

    def cpu_s(self) -> float:
        """User + system CPU seconds used so far (clock-tick resolution, 10 ms)."""
        stat = (self._proc / "stat").read_text()
        # The command name may hold spaces: fields are counted after its closing parenthesis.
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def _status_kb(self, key: str) -> int:
        for line in (self._proc / "status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise LookupError(key)

    def peak_rss_mb(self) -> float:
        return self._status_kb("VmHWM") / 1024

    def rss_kb(self) -> int:
        return self._status_kb("VmRSS")

    def connections_to(self, port: int) -> int:
        """ESTABLISHED TCP connections of this process whose remote port is `port`."""
        inodes = set()
        for fd in (self._proc / "fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue  # closed meanwhile
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        count = 0
        for table in ("tcp", "tcp6"):
            path = self._proc / "net" / table
            if not path.exists():
                continue
            for line in path.read_text().splitlines()[1:]:
                cols = line.split()
                remote_port = int(cols[2].rsplit(":", 1)[1], 16)
                if remote_port == port and cols[3] == _ESTABLISHED and cols[9] in inodes:
                    count += 1
        return count

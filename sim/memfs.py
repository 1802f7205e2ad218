"""An in-memory file system with the interface steadydose.storage uses (OsFS): the simulator keeps the
device's flash in RAM, so power cycles go through the real journal, plan store and boot recovery without
touching the disk (and fast enough for a simulated year in a fraction of a second)."""

from __future__ import annotations

import io


class _Writer:
    """A file open for writing: bytes go straight into the file's buffer (flush has nothing to do)."""

    def __init__(self, buf: bytearray) -> None:
        self.buf = buf
        self.closed = False

    def write(self, data) -> int:
        if self.closed:
            raise OSError(9, "file closed")
        self.buf.extend(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class MemFS:
    def __init__(self) -> None:
        self.files: dict[str, bytearray] = {}
        self.dirs: set[str] = {""}

    def open(self, path: str, mode: str):
        if "r" in mode:
            if path not in self.files:
                raise OSError(2, "no such file", path)
            return io.BytesIO(bytes(self.files[path]))
        if "a" in mode:
            return _Writer(self.files.setdefault(path, bytearray()))
        self.files[path] = bytearray()
        return _Writer(self.files[path])

    def listdir(self, path: str) -> list[str]:
        root = path.rstrip("/")
        if root not in self.dirs:
            raise OSError(2, "no such directory", path)
        prefix = root + "/"
        return sorted(p[len(prefix):] for p in self.files if p.startswith(prefix) and "/" not in p[len(prefix):])

    def remove(self, path: str) -> None:
        if path not in self.files:
            raise OSError(2, "no such file", path)
        del self.files[path]

    def rename(self, old: str, new: str) -> None:
        self.files[new] = self.files.pop(old)

    def mkdir(self, path: str) -> None:
        if path.rstrip("/") in self.dirs:
            raise OSError(17, "exists", path)
        self.dirs.add(path.rstrip("/"))

    def flush(self, f) -> None:
        f.flush()

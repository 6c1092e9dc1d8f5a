"""Find the debug files under the paths a build script names, by content, not by name.

Directories are walked following symlinks (each real directory once, so a link cycle ends);
a ``.dSYM`` directory is zipped into one bundle, as symbol servers take it; a zip that is not
itself a dSYM bundle is opened one level deep and its debug members are extracted to a
temporary directory. Everything else that is not a debug file is skipped without a word.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mg.debugfiles import DebugFileError, DebugFileInfo, detect_all

_ZIP_MAGIC = b"PK\x03\x04"
# A member bigger than this inside a zip is not extracted (the gateway takes at most 500 MB).
_MAX_MEMBER = 500 * 2**20
_MAX_RATIO = 200


@dataclass(frozen=True)
class Candidate:
    """One debug file to upload: ``path`` is what gets sent, ``label`` what the user knows it as."""

    path: Path
    label: str
    infos: tuple[DebugFileInfo, ...]
    name: str  # the file name to upload under

    @property
    def primary(self) -> DebugFileInfo:
        return self.infos[0]

    @property
    def sha256(self) -> str:
        return self.primary.sha256

    @property
    def size(self) -> int:
        return self.primary.size


@dataclass
class ScanResult:
    candidates: list[Candidate] = field(default_factory=list)
    skipped: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (label, message)


class Scanner:
    """Walks paths into a :class:`ScanResult`; owns the temporary files it makes (close it)."""

    def __init__(self, types: Iterable[str] = (), ids: Iterable[str] = ()) -> None:
        self.types = set(types)
        self.ids = set(ids)
        self._tmp: Path | None = None
        self._seen_dirs: set[str] = set()
        self.result = ScanResult()

    def __enter__(self) -> Scanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def tmp(self) -> Path:
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="mg-symbols-"))
        return self._tmp

    def scan(self, paths: Iterable[Path]) -> ScanResult:
        for path in paths:
            if path.is_dir() and path.name.lower().endswith(".dsym"):
                self._dsym_dir(path)
            elif path.is_dir():
                self._walk(path)
            elif path.is_file():
                self._file(path, str(path), top_level=True)
            else:
                self.result.errors.append((str(path), "no such file or directory"))
        return self.result

    def _walk(self, root: Path) -> None:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            real = os.path.realpath(dirpath)
            if real in self._seen_dirs:
                dirnames[:] = []
                continue
            self._seen_dirs.add(real)
            for name in sorted(dirnames):
                if name.lower().endswith(".dsym"):
                    dirnames.remove(name)
                    self._dsym_dir(Path(dirpath) / name)
            dirnames.sort()
            for name in sorted(filenames):
                self._file(Path(dirpath) / name, str(Path(dirpath) / name), top_level=True)

    def _dsym_dir(self, bundle: Path) -> None:
        target = self.tmp() / f"{len(self.result.candidates)}-{bundle.name}.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for dirpath, _dirs, files in os.walk(bundle, followlinks=True):
                for name in sorted(files):
                    full = Path(dirpath) / name
                    archive.write(full, (Path(bundle.name) / full.relative_to(bundle)).as_posix())
        self._consider(target, str(bundle), name=f"{bundle.name}.zip")

    def _file(self, path: Path, label: str, *, top_level: bool) -> None:
        try:
            with path.open("rb") as fh:
                head = fh.read(4)
        except OSError as exc:
            self.result.errors.append((label, exc.strerror or str(exc)))
            return
        infos = self._consider(path, label)
        if infos is None and top_level and head == _ZIP_MAGIC:
            self._zip(path, label)

    def _consider(self, path: Path, label: str, name: str | None = None) -> list[DebugFileInfo] | None:
        try:
            infos = detect_all(path, name=name)
        except DebugFileError as exc:
            self.result.errors.append((label, str(exc)))
            return []
        except OSError as exc:
            self.result.errors.append((label, exc.strerror or str(exc)))
            return []
        if not infos:
            self.result.skipped += 1
            return None
        if self.types and infos[0].file_type not in self.types:
            self.result.skipped += 1
            return infos
        if self.ids and not any(i.debug_id in self.ids for i in infos):
            self.result.skipped += 1
            return infos
        self.result.candidates.append(Candidate(path, label, tuple(infos), name or path.name))
        return infos

    def _zip(self, path: Path, label: str) -> None:
        """One level into a zip that is not a dSYM bundle: extract its debug members."""
        self.result.skipped -= 1  # the zip itself was counted as a non-debug file
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            self.result.skipped += 1
            return
        with archive:
            for n, info in enumerate(archive.infolist()):
                if info.is_dir():
                    continue
                member_label = f"{label}:{info.filename}"
                if info.file_size > _MAX_MEMBER or info.file_size > _MAX_RATIO * max(info.compress_size, 1):
                    self.result.errors.append((member_label, "too large, or compressed suspiciously well"))
                    continue
                base = Path(info.filename.replace("\\", "/")).name
                if not base or base in (".", ".."):
                    continue
                # The member keeps its base name: a PDB's or an ELF's name is its module name.
                target = self.tmp() / f"z{n}" / base
                target.parent.mkdir()
                try:
                    with archive.open(info) as src, target.open("wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
                    self.result.errors.append((member_label, f"cannot extract: {exc}"))
                    continue
                if self._consider(target, member_label) is None:
                    target.unlink()


def iter_objects(candidates: Iterable[Candidate]) -> Iterator[tuple[Candidate, DebugFileInfo]]:
    for candidate in candidates:
        for info in candidate.infos:
            yield candidate, info

"""Offline dependency audit: requirements.lock against a stored advisory snapshot.

pip-audit needs PyPI's JSON API or api.osv.dev; where neither is reachable
(scripts/audit.sh), this checks the pinned versions against the advisories copied
into docs/advisories/pypa-advisories.json (see docs/advisories/README.md and
docs/dependency-audit.md).

A pinned version is affected by an advisory when, for any of its ranges,
``introduced <= version`` and (``version < fixed``, or ``version <= last_affected``,
or the range has no upper bound), or when the version is in the advisory's explicit
``versions`` list. ``introduced: "0"`` means no lower bound. Withdrawn advisories and
pre-allocation copies (``superseded_by``) are ignored.

A finding is accepted when docs/advisories/accepted.yml has an entry whose ``id`` is
the advisory id or one of its aliases, for the same package, with a non-empty reason.

Prints a table, writes results/audit/offline.json. Exit status: 0 no unaccepted
finding, 1 unaccepted findings, 2 the inputs could not be read.

    python scripts/audit_offline.py [--lock requirements.lock] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
ADVISORIES = ROOT / "docs/advisories/pypa-advisories.json"
ACCEPTED = ROOT / "docs/advisories/accepted.yml"
COVERAGE = ROOT / "docs/advisories/coverage.json"
LOCK = ROOT / "requirements.lock"
OUT = ROOT / "results/audit/offline.json"


class AuditInputError(Exception):
    """An input file is missing or malformed."""


@dataclass
class Finding:
    package: str
    version: str
    id: str
    aliases: list[str]
    summary: str
    fixed: list[str]
    source: str
    accepted: bool = False
    reason: str = ""


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    incomplete: dict[str, str] = field(default_factory=dict)
    stale_accepted: list[str] = field(default_factory=list)

    @property
    def unaccepted(self) -> list[Finding]:
        return [f for f in self.findings if not f.accepted]


# --------------------------------------------------------------------------- #
# Inputs
# --------------------------------------------------------------------------- #


def parse_lock(text: str) -> dict[str, str]:
    """``name==version`` lines of a pip requirements file, keyed by canonical name.

    Comments, blank lines, options (``-r``, ``--hash``), environment markers and
    line continuations are tolerated; a requirement that is not pinned with ``==``
    is an error (the audit is only meaningful for exact pins).
    """
    pins: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line or line.startswith("-"):
            continue
        req = line.split(";", 1)[0].split(" --hash", 1)[0].strip()
        if "==" not in req or "===" in req:
            raise AuditInputError(f"not an exact pin: {raw.strip()!r}")
        name, version = (part.strip() for part in req.split("==", 1))
        name = name.split("[", 1)[0]
        pins[canonicalize_name(name)] = version
    return pins


def load_advisories(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise AuditInputError(f"{path}: {exc}") from exc
    if not isinstance(data, list):
        raise AuditInputError(f"{path}: expected a list of advisories")
    for adv in data:
        for key in ("id", "package", "ranges"):
            if key not in adv:
                raise AuditInputError(f"{path}: advisory without {key!r}: {adv}")
    return data


def load_accepted(path: Path) -> list[dict]:
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AuditInputError(f"{path}: {exc}") from exc
    entries = data.get("accepted") or []
    for entry in entries:
        if not (entry.get("id") and entry.get("package") and entry.get("reason")):
            raise AuditInputError(
                f"{path}: each accepted entry needs id, package and reason: {entry}"
            )
    return entries


def load_coverage(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise AuditInputError(f"{path}: {exc}") from exc


# --------------------------------------------------------------------------- #
# Range logic
# --------------------------------------------------------------------------- #


def _version(text: str | None) -> Version | None:
    if text in (None, "", "0"):
        return None
    try:
        return Version(str(text))
    except InvalidVersion as exc:
        raise AuditInputError(f"unparseable version in an advisory: {text!r}") from exc


def in_range(version: Version, rng: dict) -> bool:
    """Whether ``version`` lies in one ``{introduced, fixed | last_affected}`` range."""
    lower = _version(rng.get("introduced"))
    if lower is not None and version < lower:
        return False
    fixed = _version(rng.get("fixed"))
    if fixed is not None:
        return version < fixed
    last = _version(rng.get("last_affected"))
    if last is not None:
        return version <= last
    return True  # no upper bound: every version from `introduced` on


def is_affected(version: str, advisory: dict) -> bool:
    """Whether the pinned ``version`` is affected by ``advisory``."""
    try:
        pinned = Version(version)
    except InvalidVersion:
        # Not PEP 440: only an exact entry in the explicit list can match.
        return version in (advisory.get("versions") or [])
    for listed in advisory.get("versions") or []:
        try:
            if Version(str(listed)) == pinned:
                return True
        except InvalidVersion:
            continue
    return any(in_range(pinned, rng) for rng in advisory.get("ranges") or [])


def active(advisory: dict) -> bool:
    return not advisory.get("withdrawn") and not advisory.get("superseded_by")


# --------------------------------------------------------------------------- #
# Audit
# --------------------------------------------------------------------------- #


def _accepted_reason(finding: Finding, accepted: Iterable[dict]) -> str | None:
    keys = {finding.id, *finding.aliases}
    for entry in accepted:
        if canonicalize_name(entry["package"]) != finding.package:
            continue
        if entry["id"] in keys:
            return str(entry["reason"]).strip()
    return None


def audit(
    pins: dict[str, str],
    advisories: list[dict],
    accepted: list[dict] | None = None,
    coverage: dict | None = None,
) -> Report:
    accepted = accepted or []
    coverage = coverage or {}
    report = Report()
    for adv in advisories:
        if not active(adv):
            continue
        package = canonicalize_name(adv["package"])
        version = pins.get(package)
        if version is None or not is_affected(version, adv):
            continue
        fixed = sorted(
            {str(r["fixed"]) for r in adv.get("ranges") or [] if r.get("fixed")}
        )
        finding = Finding(
            package=package,
            version=version,
            id=adv["id"],
            aliases=list(adv.get("aliases") or []),
            summary=adv.get("summary", ""),
            fixed=fixed,
            source=adv.get("source", ""),
        )
        reason = _accepted_reason(finding, accepted)
        if reason:
            finding.accepted, finding.reason = True, reason
        report.findings.append(finding)
    report.findings.sort(key=lambda f: (f.package, f.id))

    checked = {canonicalize_name(n) for n in coverage.get("checked", [])}
    if coverage:
        report.not_checked = sorted(set(pins) - checked)
    report.incomplete = {
        canonicalize_name(k): v
        for k, v in (coverage.get("incomplete") or {}).items()
        if canonicalize_name(k) in pins
    }
    matched = {(f.package, k) for f in report.findings for k in (f.id, *f.aliases)}
    report.stale_accepted = [
        f"{e['package']} {e['id']}"
        for e in accepted
        if (canonicalize_name(e["package"]), e["id"]) not in matched
    ]
    return report


# --------------------------------------------------------------------------- #
# Output
# --------------------------------------------------------------------------- #


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render(report: Report, pins: dict[str, str], n_advisories: int) -> str:
    lines = [
        f"offline audit: {len(pins)} pinned packages, {n_advisories} advisories in the "
        f"snapshot, {len(report.findings)} findings, "
        f"{len(report.unaccepted)} not accepted"
    ]
    if report.findings:
        header = (
            f"{'package':<22} {'version':<12} {'advisory':<18} {'fixed':<14} status"
        )
        lines += [header, "-" * len(header)]
        for f in report.findings:
            status = "accepted" if f.accepted else "NOT ACCEPTED"
            lines.append(
                f"{f.package:<22} {f.version:<12} {f.id:<18} "
                f"{', '.join(f.fixed) or 'no fix':<14} {status}"
            )
            lines.append(f"    {', '.join(f.aliases)}: {f.summary}")
    for name, why in sorted(report.incomplete.items()):
        lines.append(f"warning: snapshot incomplete for {name}: {why}")
    if report.not_checked:
        lines.append(
            "warning: not looked up in the snapshot (new in the lock?): "
            + ", ".join(report.not_checked)
        )
    for entry in report.stale_accepted:
        lines.append(f"note: accepted entry matches no finding any more: {entry}")
    return "\n".join(lines)


def write_json(report: Report, pins: dict[str, str], args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "lock": {"path": str(args.lock), "sha256": _sha256(Path(args.lock))},
        "advisories": {
            "path": str(args.advisories),
            "sha256": _sha256(Path(args.advisories)),
        },
        "packages": len(pins),
        "findings": [asdict(f) for f in report.findings],
        "unaccepted": len(report.unaccepted),
        "incomplete": report.incomplete,
        "not_checked": report.not_checked,
        "stale_accepted": report.stale_accepted,
    }
    out.write_text(json.dumps(payload, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--lock", default=str(LOCK))
    parser.add_argument("--advisories", default=str(ADVISORIES))
    parser.add_argument("--accepted", default=str(ACCEPTED))
    parser.add_argument("--coverage", default=str(COVERAGE))
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    try:
        pins = parse_lock(Path(args.lock).read_text())
        advisories = load_advisories(Path(args.advisories))
        report = audit(
            pins,
            advisories,
            load_accepted(Path(args.accepted)),
            load_coverage(Path(args.coverage)),
        )
    except (OSError, AuditInputError) as exc:
        print(f"audit_offline: {exc}", file=sys.stderr)
        return 2
    print(render(report, pins, len(advisories)))
    write_json(report, pins, args)
    return 1 if report.unaccepted else 0


if __name__ == "__main__":
    sys.exit(main())

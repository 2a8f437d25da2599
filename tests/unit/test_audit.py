"""Offline dependency audit (scripts/audit_offline.py, docs/dependency-audit.md).

Unit tests of the range logic on synthetic advisories, and the gate: the pinned
requirements.lock has no finding in docs/advisories/pypa-advisories.json that is
not accepted in docs/advisories/accepted.yml.
"""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest
from support import ROOT

_spec = importlib.util.spec_from_file_location(
    "audit_offline", ROOT / "scripts/audit_offline.py"
)
audit_offline = importlib.util.module_from_spec(_spec)
sys.modules["audit_offline"] = audit_offline
_spec.loader.exec_module(audit_offline)


def adv(ranges, versions=(), **extra):
    return {
        "id": extra.pop("id", "PYSEC-TEST-1"),
        "package": extra.pop("package", "demo"),
        "aliases": extra.pop("aliases", ["CVE-0000-0001"]),
        "summary": "synthetic",
        "ranges": list(ranges),
        "versions": list(versions),
        **extra,
    }


# --------------------------------------------------------------------------- #
# Range logic
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.0.0", False),  # below introduced
        ("1.2.0", True),  # introduced is inclusive
        ("1.2.5", True),
        ("1.3.0rc1", True),  # pre-release of the fix is still affected
        ("1.3.0", False),  # fixed is exclusive
        ("1.3.0.post1", False),
        ("2.0", False),
    ],
)
def test_introduced_fixed_boundaries(version, expected):
    a = adv([{"introduced": "1.2.0", "fixed": "1.3.0"}])
    assert audit_offline.is_affected(version, a) is expected


def test_introduced_zero_means_no_lower_bound():
    a = adv([{"introduced": "0", "fixed": "2.0"}])
    assert audit_offline.is_affected("0.0.1", a)
    assert audit_offline.is_affected("1.99", a)
    assert not audit_offline.is_affected("2.0", a)


def test_unfixed_range_affects_every_later_version():
    a = adv([{"introduced": "3.1", "fixed": None}])
    assert not audit_offline.is_affected("3.0.9", a)
    assert audit_offline.is_affected("3.1", a)
    assert audit_offline.is_affected("99.0", a)
    assert audit_offline.is_affected("1.0", adv([{"introduced": "0"}]))


def test_last_affected_is_inclusive():
    a = adv([{"introduced": "0", "last_affected": "3.8.4"}])
    assert audit_offline.is_affected("3.8.4", a)
    assert not audit_offline.is_affected("3.8.5", a)


def test_several_ranges_any_match():
    # urllib3-style: two release lines, each with its own fix
    a = adv(
        [
            {"introduced": "2.0.0", "fixed": "2.0.7"},
            {"introduced": "0", "fixed": "1.26.18"},
        ]
    )
    assert audit_offline.is_affected("1.26.17", a)
    assert not audit_offline.is_affected("1.26.18", a)
    assert not audit_offline.is_affected("1.27", a)  # between the two ranges
    assert audit_offline.is_affected("2.0.6", a)
    assert not audit_offline.is_affected("2.0.7", a)


def test_explicit_versions_list():
    a = adv([], versions=["1.0", "1.1.post1"])
    assert audit_offline.is_affected("1.0.0", a)  # PEP 440 equal to "1.0"
    assert audit_offline.is_affected("1.1.post1", a)
    assert not audit_offline.is_affected("1.1", a)
    # a listed version outside the ranges still counts
    b = adv([{"introduced": "0", "fixed": "1.0"}], versions=["1.5"])
    assert audit_offline.is_affected("1.5", b)
    assert not audit_offline.is_affected("1.4", b)


def test_non_pep440_pin_only_matches_the_list():
    a = adv([{"introduced": "0"}], versions=["weird-1"])
    assert audit_offline.is_affected("weird-1", a)
    assert not audit_offline.is_affected("weird-2", a)


def test_bad_version_in_advisory_is_an_input_error():
    a = adv([{"introduced": "0", "fixed": "not a version"}])
    with pytest.raises(audit_offline.AuditInputError):
        audit_offline.is_affected("1.0", a)


# --------------------------------------------------------------------------- #
# Audit: withdrawn, superseded, accepted, names
# --------------------------------------------------------------------------- #


def test_withdrawn_and_superseded_are_ignored():
    advisories = [
        adv([{"introduced": "0"}], id="A", withdrawn="2023-11-08T00:54:24Z"),
        adv([{"introduced": "0"}], id="B", superseded_by="A"),
    ]
    report = audit_offline.audit({"demo": "1.0"}, advisories)
    assert report.findings == []


def test_finding_and_acceptance_by_id_or_alias():
    advisories = [adv([{"introduced": "0", "fixed": "2.0"}], id="PYSEC-X")]
    pins = {"demo": "1.0"}
    report = audit_offline.audit(pins, advisories)
    assert [f.id for f in report.findings] == ["PYSEC-X"]
    assert report.findings[0].fixed == ["2.0"]
    assert len(report.unaccepted) == 1

    by_alias = [{"id": "CVE-0000-0001", "package": "Demo", "reason": "not used"}]
    report = audit_offline.audit(pins, advisories, by_alias)
    assert report.unaccepted == [] and report.findings[0].reason == "not used"

    other_package = [{"id": "PYSEC-X", "package": "other", "reason": "x"}]
    report = audit_offline.audit(pins, advisories, other_package)
    assert len(report.unaccepted) == 1
    assert report.stale_accepted == ["other PYSEC-X"]


def test_names_are_canonicalised():
    pins = audit_offline.parse_lock("Ruamel.Yaml==0.17.21\nfhir.resources==6.4.0\n")
    assert pins == {"ruamel-yaml": "0.17.21", "fhir-resources": "6.4.0"}
    advisories = [adv([{"introduced": "0"}], package="ruamel_yaml")]
    assert len(audit_offline.audit(pins, advisories).findings) == 1


def test_parse_lock_tolerates_comments_markers_hashes():
    text = (
        "# header\n\n-r base.txt\n"
        "a==1.0  # why\n"
        'b==2.0 ; python_version < "3.11"\n'
        "c[extra]==3.0 \\\n    --hash=sha256:abc\n"
    )
    assert audit_offline.parse_lock(text) == {"a": "1.0", "b": "2.0", "c": "3.0"}
    with pytest.raises(audit_offline.AuditInputError):
        audit_offline.parse_lock("d>=1.0\n")


def test_accepted_entries_need_a_reason(tmp_path):
    path = tmp_path / "accepted.yml"
    path.write_text("accepted:\n  - {id: PYSEC-X, package: demo}\n")
    with pytest.raises(audit_offline.AuditInputError):
        audit_offline.load_accepted(path)


def test_main_exit_status_and_report(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text("demo==1.0\n")
    advisories = tmp_path / "adv.json"
    advisories.write_text(json.dumps([adv([{"introduced": "0", "fixed": "2.0"}])]))
    out = tmp_path / "out.json"
    args = ["--lock", str(lock), "--advisories", str(advisories), "--out", str(out)]
    args += ["--coverage", str(tmp_path / "none.json")]

    assert audit_offline.main([*args, "--accepted", str(tmp_path / "none.yml")]) == 1
    assert json.loads(out.read_text())["unaccepted"] == 1

    accepted = tmp_path / "accepted.yml"
    accepted.write_text(
        "accepted:\n  - {id: PYSEC-TEST-1, package: demo, reason: not reachable}\n"
    )
    assert audit_offline.main([*args, "--accepted", str(accepted)]) == 0
    assert json.loads(out.read_text())["findings"][0]["accepted"] is True

    advisories.write_text("{not json")
    assert audit_offline.main(args) == 2


# --------------------------------------------------------------------------- #
# The snapshot and the gate
# --------------------------------------------------------------------------- #


# Stored copies a record may be read from (docs/advisories/README.md): the PyPA
# database, the GitHub Advisory Database, and a PyPA-format mirror of the latter.
SOURCES = (
    "pypa/advisory-database vulns/",
    "github/advisory-database advisories/github-reviewed/",
    "westonsteimel/advisory-database-pypa vulns/",
)


def test_snapshot_records_are_well_formed():
    advisories = audit_offline.load_advisories(audit_offline.ADVISORIES)
    ids = [a["id"] for a in advisories]
    assert len(ids) == len(set(ids))
    for a in advisories:
        assert a["source"].startswith(SOURCES), a["source"]
        assert "@" in a["source"] and len(a["source"].rsplit("@", 1)[1]) == 40
        for rng in a["ranges"]:
            audit_offline.in_range(audit_offline.Version("1.0"), rng)  # parses


def test_every_locked_package_was_looked_up():
    pins = audit_offline.parse_lock(audit_offline.LOCK.read_text())
    coverage = audit_offline.load_coverage(audit_offline.COVERAGE)
    report = audit_offline.audit(pins, [], coverage=coverage)
    assert report.not_checked == [], (
        "packages added to requirements.lock were not looked up in the advisory "
        "snapshot; see docs/advisories/README.md"
    )


def test_lock_has_no_unaccepted_finding():
    """The gate: every finding of the snapshot for the lock is accepted."""
    pins = audit_offline.parse_lock(audit_offline.LOCK.read_text())
    report = audit_offline.audit(
        pins,
        audit_offline.load_advisories(audit_offline.ADVISORIES),
        audit_offline.load_accepted(audit_offline.ACCEPTED),
        audit_offline.load_coverage(audit_offline.COVERAGE),
    )
    assert report.unaccepted == [], audit_offline.render(report, pins, 0)

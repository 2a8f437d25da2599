"""Exports: JSON, CSV (round trip, REDCap names), FHIR R4 (validated), the CLI.

FHIR validation uses ``fhir.resources`` 6.4.0, the last release whose default
models are R4 (4.0.1) on pydantic 1 (Rasa pins pydantic 1.10): it checks structure,
types and cardinality. It does not check code value sets, so :func:`code_problems`
walks the parsed models and checks every coded element against the value set the
library records for it (``enum_values``). A plain structural check of the R4 rules
the export relies on runs whether or not the library is installed.
"""

from __future__ import annotations

import csv
import io
import json
import re
import stat
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import staffdata as sd
from support.services import need_service

from bot import vocab
from bot.__main__ import main
from bot.reports import export
from bot.reports.export import FHIR_SUBJECT_STATUS, ExportOptions
from bot.store.db import session_scope, upgrade_to_head
from bot.store.models import AuditEvent, Screening

NOW = sd.T0 + timedelta(days=30)

#: R4 ResearchSubject.status (value set research-subject-status, 4.0.1).
R4_SUBJECT_STATUS = {
    "candidate",
    "eligible",
    "follow-up",
    "ineligible",
    "not-registered",
    "off-study",
    "on-study",
    "on-study-intervention",
    "on-study-observation",
    "pending-on-study",
    "potential-candidate",
    "screening",
    "withdrawn",
}
R4_RESPONSE_STATUS = {
    "in-progress",
    "completed",
    "amended",
    "entered-in-error",
    "stopped",
}
R4_STUDY_STATUS = {
    "active",
    "administratively-completed",
    "approved",
    "closed-to-accrual",
    "closed-to-accrual-and-intervention",
    "completed",
    "disapproved",
    "in-review",
    "temporarily-closed-to-accrual",
    "temporarily-closed-to-accrual-and-intervention",
    "withdrawn",
}
ANSWER_VALUE_KEYS = {
    "valueBoolean",
    "valueDecimal",
    "valueInteger",
    "valueDate",
    "valueDateTime",
    "valueTime",
    "valueString",
    "valueUri",
    "valueAttachment",
    "valueCoding",
    "valueQuantity",
    "valueReference",
}


def screenings(world) -> list[Screening]:
    with Session(bind=world.engine, future=True) as session:
        return export.load_screenings(session)


# --------------------------------------------------------------------------- #
# JSON
# --------------------------------------------------------------------------- #


def test_json_has_every_screening_with_outcome_answers_and_verdicts(
    staff_world,
) -> None:
    rows = screenings(staff_world)
    document = json.loads(
        export.to_json(staff_world.trial, rows, ExportOptions(), now=NOW)
    )
    by_ref = {s["reference"]: s for s in document["screenings"]}
    made = staff_world.made
    assert set(by_ref) == {m.reference for m in made.values()}
    likely = by_ref[made["likely"].reference]
    assert likely["outcome"] == vocab.LIKELY_ELIGIBLE
    answers = {a["fact_id"]: a for a in likely["answers"]}
    assert answers["bilirubin"]["as_given"] == "bilirubin 342 umol/L"
    assert answers["bilirubin"]["normalized"] == 342.0
    assert answers["other_trial"]["normalized"] == sd.NEVER
    assert [a["fact_id"] for a in likely["answers"]][:2] == ["age", "liver_transplant"]
    criteria = {c["criterion_id"]: c["verdict"] for c in likely["criteria"]}
    assert len(criteria) == len(staff_world.trial.criteria)
    assert criteria["inc_aclf"] == "met"
    assert likely["referral"]["status"] == "new"
    assert "contact" not in likely["referral"]
    assert by_ref[made["running"].reference]["outcome"] is None
    assert by_ref[made["stopped"].reference]["referral"] is None
    assert sd.CONTACT.phone not in json.dumps(document)

    with_contacts = json.loads(
        export.to_json(
            staff_world.trial, rows, ExportOptions(with_contacts=True), now=NOW
        )
    )
    contacts = {
        s["reference"]: (s["referral"] or {}).get("contact")
        for s in with_contacts["screenings"]
    }
    assert contacts[made["likely"].reference]["phone"] == sd.CONTACT.phone
    assert contacts[made["stopped"].reference] is None  # no consent, no contact


def test_exports_load_the_same_on_sqlite_and_postgresql(
    session: Session, settings, trial
) -> None:
    made = sd.make_screening(
        session, trial, settings, sender="x", answers=sd.LIKELY, refer=True
    )
    session.commit()
    document = json.loads(
        export.to_json(trial, export.load_screenings(session), ExportOptions(), now=NOW)
    )
    (only,) = document["screenings"]
    assert only["reference"] == made.reference
    assert only["started_at"] == "2026-11-02T09:30:00+00:00"
    assert {a["fact_id"]: a["normalized"] for a in only["answers"]}["inr"] == 1.8


# --------------------------------------------------------------------------- #
# CSV (REDCap)
# --------------------------------------------------------------------------- #

NASTY_WORDS = [
    'He said "yes", then "no"',
    "line one\nline two\r\nline three",
    '=HYPERLINK("http://evil")',
    "<script>alert(1)</script>",
    "tab\there; semi;colon, comma",
    "多语言 µmol/L 🙂",
    "",
]


def test_csv_round_trips_and_uses_redcap_names(staff_world, trial) -> None:
    with Session(bind=staff_world.engine, future=True) as session:
        odd = sd.make_screening(
            session,
            trial,
            staff_world.settings,
            sender="odd",
            answers={
                fact: (NASTY_WORDS[i % len(NASTY_WORDS)], value)
                for i, (fact, (_, value)) in enumerate(sd.LIKELY.items())
            },
            refer=True,
            contact=sd.Contact(
                'Ann "Nan" O\'Neil, Jr.', "+86 138 0000 0000", "a@b.cn", "=1+1"
            ),
        )
        session.commit()
        rows = export.load_screenings(session)
        for options in (ExportOptions(), ExportOptions(with_contacts=True)):
            text = export.to_csv(trial, rows, options)
            expected = export.csv_rows(trial, rows, options)
            read = list(csv.DictReader(io.StringIO(text, newline="")))
            assert read == expected
            header = next(csv.reader(io.StringIO(text, newline="")))
            assert header[0] == "record_id"
            assert len(header) == len(set(header))
            for name in header:
                assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
                assert len(name) <= 100, name
            assert ("contact_phone" in header) is options.with_contacts
    by_ref = {row["record_id"]: row for row in read}
    row = by_ref[odd.reference]
    assert row["age_as_given"] == NASTY_WORDS[0]
    assert row["liver_transplant_as_given"] == NASTY_WORDS[1]
    assert row["best_time"] == "=1+1"  # verbatim: REDCap does not evaluate it
    assert row["bilirubin"] == "342" and row["inr"] == "1.8"
    assert row["other_trial"] == "never"
    assert row["started_at"] == "2026-11-02 09:30:00"
    assert row["referred"] == "1" and row["data_purged"] == "0"
    assert row["inc_aclf_verdict"] == "met"
    running = by_ref[staff_world.made["running"].reference]
    assert running["outcome"] == "" and running["finished_at"] == ""


def test_time_ago_intervals_in_csv(trial) -> None:
    q = trial.question("immune_drugs")
    assert export.csv_value(q, {"never": True}) == "never"
    window = {"never": False, "earliest": "2026-09-01", "latest": "2026-10-01"}
    assert export.csv_value(q, window) == "2026-09-01/2026-10-01"
    assert export.csv_value(q, {"earliest": None, "latest": "2026-10-01"}) == (
        "../2026-10-01"
    )
    assert export.csv_value(trial.question("encephalopathy"), 1) == "1"
    assert export.csv_value(None, [1, 2]) == "[1, 2]"
    assert export.csv_value(None, True) == "1"


def test_redcap_data_dictionary_matches_the_csv(trial) -> None:
    for options in (ExportOptions(), ExportOptions(with_contacts=True)):
        dictionary = list(
            csv.DictReader(
                io.StringIO(export.redcap_data_dictionary(trial, options), newline="")
            )
        )
        assert [r["Variable / Field Name"] for r in dictionary] == export.csv_fields(
            trial, options
        )
        kinds = {r["Variable / Field Name"]: r for r in dictionary}
        assert kinds["record_id"]["Field Type"] == "text"
        assert kinds["referred"]["Field Type"] == "yesno"
        assert kinds["started_at"]["Text Validation Type OR Show Slider Number"] == (
            "datetime_seconds_ymd"
        )
        assert {r["Form Name"] for r in dictionary} == {"prescreening"}
        if options.with_contacts:
            assert kinds["contact_phone"]["Identifier?"] == "y"


# --------------------------------------------------------------------------- #
# FHIR R4
# --------------------------------------------------------------------------- #


def fhir_bundle_model() -> Any:
    """fhir.resources' R4 Bundle model; skip (fail under CI) when not installed."""
    try:
        from fhir.resources import __fhir_version__
        from fhir.resources.bundle import Bundle
    except ImportError:
        need_service("fhir.resources==6.4.0 (FHIR R4 on pydantic 1) is not installed")
    assert __fhir_version__ == "4.0.1", "fhir.resources must be 6.4.0 (R4 models)"
    return Bundle


def code_problems(model: Any, path: str = "") -> list[str]:
    """Coded values outside the value set the library records for them."""
    from fhir.resources.core.fhirabstractmodel import FHIRAbstractModel

    problems = []
    for name, field in model.__fields__.items():
        value = getattr(model, name, None)
        if value is None:
            continue
        allowed = field.field_info.extra.get("enum_values")
        if allowed and isinstance(value, str) and value not in allowed:
            problems.append(f"{path}.{name}={value!r} not in {allowed}")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, FHIRAbstractModel):
                problems.extend(code_problems(item, f"{path}.{name}"))
    return problems


def structural_problems(bundle: dict[str, Any]) -> list[str]:
    """The R4 rules the export relies on, checked without any library."""
    problems = []
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "collection":
        problems.append("not a collection Bundle")
    urls = [e.get("fullUrl") for e in bundle.get("entry", [])]
    if len(urls) != len(set(urls)) or not all(
        u and u.startswith("urn:uuid:") for u in urls
    ):
        problems.append("fullUrls missing or repeated")
    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        kind = resource.get("resourceType")
        if not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", resource.get("id", "")):
            problems.append(f"{kind}: bad id")
        if kind == "ResearchStudy" and resource.get("status") not in R4_STUDY_STATUS:
            problems.append("ResearchStudy.status")
        if kind == "ResearchSubject":
            if resource.get("status") not in R4_SUBJECT_STATUS:
                problems.append(f"ResearchSubject.status {resource.get('status')}")
            for ref in ("study", "individual"):  # 1..1 in R4
                if resource.get(ref, {}).get("reference") not in urls:
                    problems.append(f"ResearchSubject.{ref} does not resolve")
        if kind == "QuestionnaireResponse":
            if resource.get("status") not in R4_RESPONSE_STATUS:
                problems.append("QuestionnaireResponse.status")
            if not isinstance(resource.get("identifier", {}), dict):
                problems.append("QuestionnaireResponse.identifier is 0..1")
            for item in resource.get("item", []):
                if not item.get("linkId"):
                    problems.append("item without linkId")
                for answer in item.get("answer", []):
                    values = ANSWER_VALUE_KEYS & set(answer)
                    if len(values) != 1:
                        problems.append(f"{item['linkId']}: {len(values)} values")
    return problems


@pytest.mark.parametrize("with_contacts", [False, True])
def test_fhir_bundle_validates_against_r4(staff_world, with_contacts: bool) -> None:
    rows = screenings(staff_world)
    options = ExportOptions(with_contacts=with_contacts)
    text, media, name = export.render("fhir", staff_world.trial, rows, options, now=NOW)
    assert media == "application/fhir+json" and name.endswith(".fhir.json")
    bundle = json.loads(text)
    assert structural_problems(bundle) == []

    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("ResearchStudy") == 1
    for kind in ("Patient", "ResearchSubject", "QuestionnaireResponse"):
        assert kinds.count(kind) == len(rows)
    by_kind_ref: dict[tuple[str, str], dict] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        identifier = resource.get("identifier")
        if isinstance(identifier, list):
            identifier = identifier[0]
        if identifier and identifier["system"] == export.REFERENCE_SYSTEM:
            by_kind_ref[(resource["resourceType"], identifier["value"])] = resource
    for made in staff_world.made.values():
        subject = by_kind_ref[("ResearchSubject", made.reference)]
        assert subject["status"] == FHIR_SUBJECT_STATUS[made.outcome]
    likely = staff_world.made["likely"].reference
    response = by_kind_ref[("QuestionnaireResponse", likely)]
    assert response["status"] == "completed"
    items = {i["linkId"]: i for i in response["item"]}
    assert items["bilirubin"]["answer"][0]["valueQuantity"] == {
        "value": 342.0,
        "unit": "µmol/L",
        "system": "http://unitsofmeasure.org",
        "code": "umol/L",
    }
    assert items["jaundice"]["answer"][0]["valueBoolean"] is True
    as_given = items["jaundice"]["answer"][0]["item"][0]["answer"][0]["valueString"]
    assert as_given == "yes my eyes are yellow"
    review = by_kind_ref[
        ("QuestionnaireResponse", staff_world.made["review"].reference)
    ]
    unknown = {i["linkId"]: i for i in review["item"]}["inr"]["answer"][0]
    assert unknown["valueCoding"]["code"] == "asked-unknown"
    patient = by_kind_ref[("Patient", likely)]
    assert ("telecom" in patient) is with_contacts
    stopped_patient = by_kind_ref[("Patient", staff_world.made["stopped"].reference)]
    assert "telecom" not in stopped_patient and "name" not in stopped_patient

    parsed = fhir_bundle_model().parse_obj(bundle)  # raises on structural errors
    assert code_problems(parsed) == []
    assert len(parsed.entry) == len(bundle["entry"])


def test_fhir_status_mapping_uses_r4_codes_only() -> None:
    assert set(FHIR_SUBJECT_STATUS) == {*vocab.OUTCOMES, None}
    assert set(FHIR_SUBJECT_STATUS.values()) <= R4_SUBJECT_STATUS
    assert FHIR_SUBJECT_STATUS[vocab.LIKELY_ELIGIBLE] == "potential-candidate"
    assert FHIR_SUBJECT_STATUS[vocab.INELIGIBLE] == "ineligible"
    # The pre-screen never decides eligibility or enrolment: the site does.
    assert not {"eligible", "on-study"} & set(FHIR_SUBJECT_STATUS.values())


def test_the_structural_check_catches_mistakes(staff_world) -> None:
    bundle = export.to_fhir(
        staff_world.trial, screenings(staff_world), ExportOptions(), now=NOW
    )
    subject = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "ResearchSubject"
    )
    subject["status"] = "eligible-ish"
    del subject["individual"]
    assert len(structural_problems(bundle)) == 2
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        fhir_bundle_model().parse_obj(bundle)


# --------------------------------------------------------------------------- #
# The command line
# --------------------------------------------------------------------------- #


@pytest.fixture
def cli_env(tmp_path, monkeypatch, contact_key, trial, settings):
    """A migrated database with two screenings, named by the environment."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    tracker = f"sqlite:///{tmp_path / 'cli-tracker.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRACKER_DB_URL", tracker)
    monkeypatch.setenv("CONTACT_KEY", contact_key.decode())
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    upgrade_to_head(url)
    from bot.store.db import make_engine

    engine = make_engine(url, contact_key=contact_key)
    with session_scope(engine) as session:
        liked = sd.make_screening(
            session, trial, settings, sender="c1", answers=sd.LIKELY, refer=True
        )
        old = sd.make_screening(
            session,
            trial,
            settings,
            sender="c2",
            answers=sd.STOPPED,
            started_at=sd.T0 - timedelta(days=400),
            outcome=vocab.INCOMPLETE,
        )
    sd.write_events(tracker, "c2", [{"event": "user", "text": "hi", "timestamp": 1.0}])
    yield {"engine": engine, "liked": liked, "old": old, "tracker": tracker}
    engine.dispose()


def test_cli_export_writes_a_private_file_and_audits(cli_env, tmp_path, capsys) -> None:
    out = tmp_path / "export.csv"
    assert (
        main(["export", "--format", "csv", "--output", str(out), "--with-contacts"])
        == 0
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(
        csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline=""))
    )
    assert {r["record_id"] for r in rows} == {
        cli_env["liked"].reference,
        cli_env["old"].reference,
    }
    assert sd.CONTACT.phone in out.read_text(encoding="utf-8")
    assert main(["export", "--format", "fhir"]) == 0
    assert json.loads(capsys.readouterr().out)["type"] == "collection"
    with session_scope(cli_env["engine"]) as session:
        events = (
            session.execute(
                select(AuditEvent).where(AuditEvent.action == "export.created")
            )
            .scalars()
            .all()
        )
        assert [(e.detail["format"], e.detail["with_contacts"]) for e in events] == [
            ("csv", True),
            ("fhir", False),
        ]
        assert all(e.actor.startswith("cli:") for e in events)


def test_cli_create_admin_retention_and_erase(cli_env, monkeypatch, capsys) -> None:
    monkeypatch.setenv("STAFF_PASSWORD", "short")
    assert main(["create-admin", "--username", "ada"]) == 1
    monkeypatch.setenv("STAFF_PASSWORD", "a long admin password")
    assert main(["create-admin", "--username", "ada"]) == 0
    assert "created admin ada" in capsys.readouterr().out
    assert main(["create-admin", "--username", "ada"]) == 1  # taken

    assert main(["retention", "--dry-run"]) == 0
    assert "would purge 1 screenings" in capsys.readouterr().out
    assert main(["retention"]) == 0
    output = capsys.readouterr().out
    assert "purged 1 screenings" in output and "1 conversations" in output

    reference = cli_env["liked"].reference
    assert main(["erase", reference]) == 0
    assert reference in capsys.readouterr().out
    assert main(["erase", reference]) == 1
    with session_scope(cli_env["engine"]) as session:
        actions = [
            e.action for e in session.execute(select(AuditEvent)).scalars().all()
        ]
    for action in ("user.created", "retention.purged", "person.erased"):
        assert action in actions

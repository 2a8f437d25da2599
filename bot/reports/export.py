"""Exports of every screening: JSON, CSV (REDCap) and FHIR R4.

* **JSON**: one object per screening with its outcome, every current answer (the
  person's words and the normalized value) and every criterion verdict.
* **CSV**: flat, one row per screening, ``record_id`` first, lower_snake field names
  that are valid REDCap variable names; :func:`redcap_data_dictionary` describes
  the fields for a REDCap project. Values are written verbatim (no spreadsheet
  "formula" escaping), so the file reads back exactly; it is meant for REDCap's
  importer, not for opening in a spreadsheet program.
* **FHIR R4**: a ``Bundle`` of type ``collection`` with one ``ResearchStudy`` and, per
  screening, a pseudonymous ``Patient`` (the screening reference as identifier), a
  ``ResearchSubject`` whose status is mapped from the outcome
  (:data:`FHIR_SUBJECT_STATUS`) and a ``QuestionnaireResponse`` with the answers.

Contact details are included only when asked for (``with_contacts``), only for
screenings with a referral, i.e. where the person consented to share them; the
caller checks the role and audits the export.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot import vocab
from bot.reports.review import current_answers, format_number
from bot.screening.criteria import Question, Trial
from bot.store.models import UTC, Screening

#: R4 ResearchSubject.status per outcome (value set research-subject-status):
#: the pre-screen never makes anyone "eligible" or "on-study"; the site decides.
FHIR_SUBJECT_STATUS: dict[str | None, str] = {
    # "A person who is potentially eligible for participation in the study."
    vocab.LIKELY_ELIGIBLE: "potential-candidate",
    # "A person who is being evaluated for eligibility": the site must verify.
    vocab.NEEDS_REVIEW: "screening",
    # "... did not meet one or more criteria ... failed screening or is ineligible."
    vocab.INELIGIBLE: "ineligible",
    # "An identified person that can be considered for inclusion": stopped before
    # a result, so nothing about eligibility is known yet.
    vocab.INCOMPLETE: "candidate",
    # A screening still running is being evaluated.
    None: "screening",
}
#: R4 QuestionnaireResponse.status per outcome.
FHIR_RESPONSE_STATUS: dict[str | None, str] = {
    vocab.LIKELY_ELIGIBLE: "completed",
    vocab.NEEDS_REVIEW: "completed",
    vocab.INELIGIBLE: "completed",
    vocab.INCOMPLETE: "stopped",
    None: "in-progress",
}

#: Identifier systems (URNs: this deployment has no web address of its own).
REFERENCE_SYSTEM = "urn:trial-prescreener:screening-reference"
TRIAL_SYSTEM = "urn:trial-prescreener:trial"
UCUM = "http://unitsofmeasure.org"
#: UCUM codes of the criteria file's canonical units.
UCUM_UNITS = {
    "years": ("a", "years"),
    "umol/L": ("umol/L", "µmol/L"),
    "ratio": ("{INR}", "INR"),
    "percent": ("%", "%"),
    "10^9/L": ("10*9/L", "×10⁹/L"),
    "points": ("{score}", "points"),
}
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


# --------------------------------------------------------------------------- #
# Records: what every format is built from
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class ExportOptions:
    """What an export holds.

    Attributes:
        with_contacts: Include contact details of referred (consenting) people.
    """

    with_contacts: bool = False


def load_screenings(session: Session) -> list[Screening]:
    """Every screening with its answers, verdicts and referral, oldest first."""
    return list(
        session.execute(
            select(Screening)
            .options(
                selectinload(Screening.answers),
                selectinload(Screening.verdicts),
                selectinload(Screening.referral),
            )
            .order_by(Screening.started_at, Screening.id)
        ).scalars()
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def screening_record(
    trial: Trial, screening: Screening, options: ExportOptions
) -> dict[str, Any]:
    """One screening as a JSON-ready dict (the JSON export's element)."""
    answers = current_answers(screening)
    order = {q.id: q.order for q in trial.questions}
    referral = screening.referral
    record: dict[str, Any] = {
        "reference": screening.reference,
        "trial_id": screening.trial_id,
        "criteria_version": screening.criteria_version,
        "channel": screening.channel,
        "respondent": screening.respondent,
        "relation": screening.relation,
        "started_at": _iso(screening.started_at),
        "finished_at": _iso(screening.finished_at),
        "outcome": screening.outcome,
        "data_purged_at": _iso(screening.purged_at),
        "referral": None,
        "answers": [
            {
                "fact_id": answer.fact_id,
                "as_given": answer.as_given,
                "normalized": answer.normalized,
                "unknown": bool(answer.unknown),
                "error": answer.error,
                "answered_at": _iso(answer.answered_at),
            }
            for answer in sorted(
                answers.values(), key=lambda a: (order.get(a.fact_id, 10**6), a.id)
            )
        ],
        "criteria": [
            {
                "criterion_id": verdict.criterion_id,
                "verdict": verdict.verdict,
                "reason": verdict.reason,
            }
            for verdict in sorted(
                screening.verdicts,
                key=lambda v: _criterion_index(trial, v.criterion_id),
            )
        ],
    }
    if referral is not None:
        record["referral"] = {
            "status": referral.status,
            "status_reason": referral.status_reason,
            "referred_at": _iso(referral.created_at),
            "consent_given_at": _iso(referral.consent_given_at),
        }
        if options.with_contacts and referral.consent_given_at is not None:
            record["referral"]["contact"] = {
                "name": referral.contact_name,
                "phone": referral.contact_phone,
                "email": referral.contact_email,
                "best_time": referral.best_time,
            }
    return record


def _criterion_index(trial: Trial, criterion_id: str) -> int:
    for index, criterion in enumerate(trial.criteria):
        if criterion.id == criterion_id:
            return index
    return 10**6


# --------------------------------------------------------------------------- #
# JSON
# --------------------------------------------------------------------------- #


def to_json(
    trial: Trial,
    screenings: Iterable[Screening],
    options: ExportOptions,
    *,
    now: datetime,
) -> str:
    """The JSON export: trial, export time, and the screenings."""
    document = {
        "exported_at": _iso(now),
        "trial": {
            "id": trial.id,
            "title": trial.title,
            "criteria_version": trial.version,
        },
        "with_contacts": options.with_contacts,
        "screenings": [screening_record(trial, s, options) for s in screenings],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- #
# CSV (REDCap)
# --------------------------------------------------------------------------- #

CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email", "best_time")


def csv_fields(trial: Trial, options: ExportOptions) -> list[str]:
    """The CSV's column names, ``record_id`` first."""
    fields = [
        "record_id",
        "trial_id",
        "criteria_version",
        "channel",
        "respondent",
        "relation",
        "started_at",
        "finished_at",
        "outcome",
        "data_purged",
        "referred",
        "referral_status",
        "referred_at",
        "consent_given_at",
    ]
    if options.with_contacts:
        fields.extend(CONTACT_FIELDS)
    for question in trial.questions:
        fields.extend(
            [question.id, f"{question.id}_as_given", f"{question.id}_unknown"]
        )
    fields.extend(f"{criterion.id}_verdict" for criterion in trial.criteria)
    return fields


def _redcap_datetime(moment: datetime | None) -> str:
    # REDCap's datetime_seconds_ymd: "YYYY-MM-DD HH:MM:SS" (here always UTC).
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def csv_value(question: Question | None, value: Any) -> str:
    """A normalized value as one CSV cell.

    Numbers without a pointless ``.0``; a time-ago interval as an ISO 8601
    interval (``2025-03-01/2025-04-01``, ``../2025-04-01``) or ``never``; lists and
    objects as compact JSON.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return format_number(value) if isinstance(value, float) else str(value)
    if isinstance(value, dict) and question is not None and question.type == "time_ago":
        if value.get("never"):
            return "never"
        return f"{value.get('earliest') or '..'}/{value.get('latest') or '..'}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def csv_rows(
    trial: Trial, screenings: Iterable[Screening], options: ExportOptions
) -> list[dict[str, str]]:
    """The CSV rows as dicts of strings (what ``csv.DictReader`` reads back)."""
    fields = csv_fields(trial, options)
    rows = []
    for screening in screenings:
        referral = screening.referral
        answers = current_answers(screening)
        verdicts = {v.criterion_id: v.verdict for v in screening.verdicts}
        row = dict.fromkeys(fields, "")
        row.update(
            record_id=screening.reference,
            trial_id=screening.trial_id,
            criteria_version=screening.criteria_version,
            channel=screening.channel,
            respondent=screening.respondent or "",
            relation=screening.relation or "",
            started_at=_redcap_datetime(screening.started_at),
            finished_at=_redcap_datetime(screening.finished_at),
            outcome=screening.outcome or "",
            data_purged="1" if screening.purged_at else "0",
            referred="1" if referral else "0",
            referral_status=referral.status if referral else "",
            referred_at=_redcap_datetime(referral.created_at if referral else None),
            consent_given_at=_redcap_datetime(
                referral.consent_given_at if referral else None
            ),
        )
        if options.with_contacts and referral and referral.consent_given_at:
            row.update(
                contact_name=referral.contact_name or "",
                contact_phone=referral.contact_phone or "",
                contact_email=referral.contact_email or "",
                best_time=referral.best_time or "",
            )
        for question in trial.questions:
            answer = answers.get(question.id)
            if answer is None:
                continue
            row[question.id] = csv_value(question, answer.normalized)
            row[f"{question.id}_as_given"] = answer.as_given or ""
            row[f"{question.id}_unknown"] = "1" if answer.unknown else "0"
        for criterion in trial.criteria:
            row[f"{criterion.id}_verdict"] = verdicts.get(criterion.id, "")
        rows.append(row)
    return rows


def to_csv(
    trial: Trial, screenings: Iterable[Screening], options: ExportOptions
) -> str:
    """The CSV export (UTF-8 text, CRLF line ends, every field quoted as needed)."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=csv_fields(trial, options))
    writer.writeheader()
    writer.writerows(csv_rows(trial, screenings, options))
    return buffer.getvalue()


#: Columns of a REDCap data dictionary, in REDCap's order.
REDCAP_DICTIONARY_COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)


def redcap_data_dictionary(trial: Trial, options: ExportOptions) -> str:
    """A REDCap data dictionary (CSV) defining every field of :func:`to_csv`.

    Upload it to a REDCap project (Project Setup, Data Dictionary), then import the
    CSV export. Timestamps are ``datetime_seconds_ymd`` (UTC); flags are ``yesno``;
    everything else is free text, so no value is ever rejected.
    """
    labels = {
        "record_id": "Screening reference",
        "trial_id": "Trial id",
        "criteria_version": "Criteria file version",
        "channel": "Channel",
        "respondent": "Who answered (self / caregiver)",
        "relation": "Caregiver's relation to the patient",
        "started_at": "Started (UTC)",
        "finished_at": "Finished (UTC)",
        "outcome": "Pre-screening outcome",
        "data_purged": "Answers purged by the retention job",
        "referred": "Referred to the study team",
        "referral_status": "Referral status",
        "referred_at": "Referred (UTC)",
        "consent_given_at": "Consent to contact given (UTC)",
        "contact_name": "Contact name",
        "contact_phone": "Contact phone",
        "contact_email": "Contact e-mail",
        "best_time": "Best time to call",
    }
    questions = {q.id: q for q in trial.questions}
    criteria = {f"{c.id}_verdict": c for c in trial.criteria}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(REDCAP_DICTIONARY_COLUMNS)
    for name in csv_fields(trial, options):
        field_type, validation, identifier = "text", "", ""
        label = labels.get(name, name)
        if name in ("started_at", "finished_at", "referred_at", "consent_given_at"):
            validation = "datetime_seconds_ymd"
        elif name in ("data_purged", "referred"):
            field_type = "yesno"
        elif name in CONTACT_FIELDS:
            identifier = "y"
        elif name in questions:
            question = questions[name]
            unit = UCUM_UNITS.get(question.unit or "", ("", ""))[1]
            label = f"{question.label} (normalized{', ' + unit if unit else ''})"
        elif name.endswith("_as_given") and name[: -len("_as_given")] in questions:
            label = f"{questions[name[: -len('_as_given')]].label} (as given)"
        elif name.endswith("_unknown") and name[: -len("_unknown")] in questions:
            field_type = "yesno"
            label = f"{questions[name[: -len('_unknown')]].label}: did not know"
        elif name in criteria:
            criterion = criteria[name]
            label = f"{criterion.kind.title()} {criterion.number}: {criterion.summary}"
        row = dict.fromkeys(REDCAP_DICTIONARY_COLUMNS, "")
        row.update(
            {
                "Variable / Field Name": name,
                "Form Name": "prescreening",
                "Field Type": field_type,
                "Field Label": label,
                "Text Validation Type OR Show Slider Number": validation,
                "Identifier?": identifier,
            }
        )
        writer.writerow(row[column] for column in REDCAP_DICTIONARY_COLUMNS)
    return buffer.getvalue()


# --------------------------------------------------------------------------- #
# FHIR R4
# --------------------------------------------------------------------------- #


def _urn(namespace: uuid.UUID, name: str) -> tuple[str, str]:
    """A stable resource id and its ``urn:uuid`` full URL (same input, same id)."""
    resource_id = str(uuid.uuid5(namespace, name))
    return resource_id, f"urn:uuid:{resource_id}"


_NS = uuid.UUID("6f1d1c52-3f0e-4a53-9a3b-6b1f8f3c2d10")


def _answer_value(question: Question, answer: Any) -> dict[str, Any] | None:
    """One QuestionnaireResponse answer value[x] for a current answer."""
    value = answer.normalized
    if answer.unknown or value is None or value == "unsure":
        return {
            "valueCoding": {
                "system": DATA_ABSENT,
                "code": "asked-unknown",
                "display": "Asked But Unknown",
            }
        }
    if question.type == "yes_no":
        if value in ("yes", "no"):
            return {"valueBoolean": value == "yes"}
        return {"valueString": str(value)}
    if question.type == "number" and isinstance(value, (int, float)):
        code, unit = UCUM_UNITS.get(question.unit or "", ("1", question.unit or ""))
        return {
            "valueQuantity": {
                "value": value,
                "unit": unit,
                "system": UCUM,
                "code": code,
            }
        }
    if question.type == "choice":
        label = next(
            (c.label for c in question.choices if str(c.value) == str(value)), None
        )
        coding = {
            "system": f"urn:trial-prescreener:{question.id}",
            "code": str(value),
        }
        if label:
            coding["display"] = label
        return {"valueCoding": coding}
    if question.type == "time_ago" and isinstance(value, dict):
        return {"valueString": csv_value(question, value)}
    return {"valueString": csv_value(question, value)}


def to_fhir(
    trial: Trial,
    screenings: Iterable[Screening],
    options: ExportOptions,
    *,
    now: datetime,
) -> dict[str, Any]:
    """The FHIR R4 export: a ``collection`` Bundle (as a JSON-ready dict)."""
    study_id, study_url = _urn(_NS, f"study:{trial.id}")
    site_names = [s.get("name") for s in trial.sites if isinstance(s, dict)]
    study: dict[str, Any] = {
        "resourceType": "ResearchStudy",
        "id": study_id,
        "identifier": [{"system": TRIAL_SYSTEM, "value": trial.id}],
        "title": trial.title,
        # The listing says "Recruiting": R4's word for it is "active".
        "status": "active",
        "description": f"Pre-screening criteria version {trial.version}: "
        f"{trial.plain_title}.",
        "sponsor": {"display": trial.sponsor},
        "site": [{"display": name} for name in site_names if name],
    }
    entries: list[dict[str, Any]] = [{"fullUrl": study_url, "resource": study}]
    questions = {q.id: q for q in trial.questions}
    for screening in screenings:
        ref = screening.reference
        patient_id, patient_url = _urn(_NS, f"patient:{ref}")
        subject_id, subject_url = _urn(_NS, f"subject:{ref}")
        response_id, response_url = _urn(_NS, f"response:{ref}")
        identifier = [{"system": REFERENCE_SYSTEM, "value": ref}]
        patient: dict[str, Any] = {
            "resourceType": "Patient",
            "id": patient_id,
            "identifier": identifier,
        }
        referral = screening.referral
        if options.with_contacts and referral and referral.consent_given_at:
            if referral.contact_name:
                patient["name"] = [{"text": referral.contact_name}]
            telecom = []
            if referral.contact_phone:
                telecom.append({"system": "phone", "value": referral.contact_phone})
            if referral.contact_email:
                telecom.append({"system": "email", "value": referral.contact_email})
            if telecom:
                patient["telecom"] = telecom
        period = {"start": _iso(screening.started_at)}
        if screening.finished_at:
            period["end"] = _iso(screening.finished_at)
        subject = {
            "resourceType": "ResearchSubject",
            "id": subject_id,
            "identifier": identifier,
            "status": FHIR_SUBJECT_STATUS.get(screening.outcome, "screening"),
            "period": period,
            "study": {"reference": study_url},
            "individual": {"reference": patient_url},
        }
        items = []
        answers = current_answers(screening)
        for question in trial.questions:
            answer = answers.get(question.id)
            if answer is None:
                continue
            value = _answer_value(question, answer)
            answer_entry: dict[str, Any] = dict(value or {})
            if answer.as_given:
                answer_entry["item"] = [
                    {
                        "linkId": f"{question.id}.as-given",
                        "text": "The person's own words",
                        "answer": [{"valueString": answer.as_given}],
                    }
                ]
            items.append(
                {
                    "linkId": question.id,
                    "text": question.label,
                    "answer": [answer_entry],
                }
            )
        for fact_id in sorted(set(answers) - set(questions)):
            # An answer to a question since removed from the criteria file.
            items.append(
                {
                    "linkId": fact_id,
                    "answer": [
                        {"valueString": csv_value(None, answers[fact_id].normalized)}
                    ],
                }
            )
        response: dict[str, Any] = {
            "resourceType": "QuestionnaireResponse",
            "id": response_id,
            "identifier": identifier[0],
            "status": FHIR_RESPONSE_STATUS.get(screening.outcome, "in-progress"),
            "subject": {"reference": patient_url},
            "authored": _iso(screening.finished_at or screening.updated_at),
        }
        if items:
            response["item"] = items
        entries.extend(
            [
                {"fullUrl": patient_url, "resource": patient},
                {"fullUrl": subject_url, "resource": subject},
                {"fullUrl": response_url, "resource": response},
            ]
        )
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": _iso(now),
        "entry": entries,
    }


def render(
    fmt: str,
    trial: Trial,
    screenings: list[Screening],
    options: ExportOptions,
    *,
    now: datetime,
) -> tuple[str, str, str]:
    """Render an export.

    Args:
        fmt: ``"json"``, ``"csv"`` or ``"fhir"``.
        trial: The trial.
        screenings: The screenings (:func:`load_screenings`).
        options: What to include.
        now: The export time.

    Returns:
        ``(text, media type, file name)``.

    Raises:
        ValueError: Unknown format.
    """
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    if fmt == "json":
        return (
            to_json(trial, screenings, options, now=now),
            "application/json",
            f"prescreening-{stamp}.json",
        )
    if fmt == "csv":
        return (
            to_csv(trial, screenings, options),
            "text/csv",
            f"prescreening-{stamp}.csv",
        )
    if fmt == "fhir":
        bundle = to_fhir(trial, screenings, options, now=now)
        return (
            json.dumps(bundle, ensure_ascii=False, indent=2) + "\n",
            "application/fhir+json",
            f"prescreening-{stamp}.fhir.json",
        )
    raise ValueError(f"unknown export format {fmt!r}")

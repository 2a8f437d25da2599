#!/usr/bin/env bash
# Dependency audit: pip-audit over requirements.lock (issue 6; docs/dependency-audit.md).
#
# pip-audit runs in a throwaway virtual environment (AUDIT_VENV, default
# /tmp/audit-venv, made with the machine's python3), never in .venv. The lock is
# checked as pinned (--no-deps: the lock already holds every package), against
# AUDIT_SERVICE: "pypi" (PyPI's JSON API, the default) or "osv" (api.osv.dev).
#
# pip-audit reports "No known vulnerabilities found" even when it could look up
# nothing (each package then carries a skip_reason). This script counts those and
# fails instead: an audit that did not run must not read as a clean one.
#
# The offline check (scripts/audit_offline.py: the lock against the stored advisory
# snapshot in docs/advisories/, accepted findings in docs/advisories/accepted.yml)
# always runs as well, so the audit still means something where PyPI's JSON API and
# api.osv.dev are unreachable. AUDIT_REQUIRE_ONLINE=1 makes an online audit that
# could not run fail (exit 2) even when the offline check is clean.
#
# Exit status: 0 clean, 1 vulnerabilities found (online, or offline and not
# accepted), 2 the audit could not run.
set -euo pipefail
cd "$(dirname "$0")/.."
AUDIT_REQUIRE_ONLINE=${AUDIT_REQUIRE_ONLINE:-0}

AUDIT_VENV=${AUDIT_VENV:-/tmp/audit-venv}
AUDIT_SERVICE=${AUDIT_SERVICE:-pypi}
LOCK=${LOCK:-requirements.lock}
OUT=${AUDIT_OUT:-$(mktemp -t pip-audit.XXXXXX.json)}

online_audit() {
if [[ ! -x "$AUDIT_VENV/bin/pip-audit" ]]; then
  python3 -m venv "$AUDIT_VENV"
  "$AUDIT_VENV/bin/pip" install --quiet pip-audit
fi
"$AUDIT_VENV/bin/pip-audit" --version

set +e
"$AUDIT_VENV/bin/pip-audit" -r "$LOCK" --no-deps --disable-pip \
  --vulnerability-service "$AUDIT_SERVICE" --format json --output "$OUT"
status=$?
set -e
if [[ ! -s "$OUT" ]]; then
  echo "audit: pip-audit wrote no report (exit $status): the vulnerability service" \
    "($AUDIT_SERVICE) could not be reached" >&2
  exit 2
fi

python3 - "$OUT" "$AUDIT_SERVICE" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1]))
service = sys.argv[2]
deps = report["dependencies"]
skipped = [d for d in deps if d.get("skip_reason")]
found = [d for d in deps if d.get("vulns")]
print(f"audit ({service}): {len(deps)} packages, {len(skipped)} not looked up, "
      f"{sum(len(d['vulns']) for d in found)} vulnerabilities in {len(found)}")
for dep in found:
    for vuln in dep["vulns"]:
        fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix"
        aliases = ", ".join(vuln.get("aliases") or [])
        print(f"  {dep['name']} {dep['version']}: {vuln['id']} ({aliases}) fixed in {fixed}")
if skipped:
    print(f"audit: NOT RUN for {len(skipped)} packages, e.g. "
          f"{skipped[0]['name']}: {skipped[0]['skip_reason']}", file=sys.stderr)
    sys.exit(2)
sys.exit(1 if found else 0)
PY
}

set +e
(set -e; online_audit)
online=$?
PY_OFFLINE=${PY_OFFLINE:-.venv/bin/python}
[[ -x "$PY_OFFLINE" ]] || PY_OFFLINE=python3
"$PY_OFFLINE" scripts/audit_offline.py --lock "$LOCK"
offline=$?
set -e

if (( online == 1 || offline == 1 )); then exit 1; fi
if (( offline == 2 )); then exit 2; fi
if (( online == 2 )); then
  echo "audit: online audit NOT run; result is the offline snapshot only" \
    "(docs/advisories/README.md gives its date and coverage)" >&2
  if (( AUDIT_REQUIRE_ONLINE )); then exit 2; fi
fi
exit 0

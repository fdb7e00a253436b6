"""`wiredesk kibana import`: load kibana/*.ndjson (data views, saved searches, dashboard) into Kibana
through its saved-objects import API, replacing earlier versions of the same objects."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Kibana answers an import of a few objects in well under a second; 30 s covers a Kibana still warming up.
TIMEOUT_S = 30.0


class KibanaError(RuntimeError):
    """The saved objects could not be read or Kibana did not take them; the message says why."""


@dataclass(frozen=True)
class ImportResult:
    url: str
    count: int


def saved_object_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.ndjson"))
    if not files:
        raise KibanaError(f"no .ndjson files in {folder}/")
    return files


def load_saved_objects(folder: Path) -> list[dict[str, Any]]:
    """Every object of every file, in file and line order; a line that is not a JSON object is an error."""
    objects: list[dict[str, Any]] = []
    for path in saved_object_files(folder):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise KibanaError(f"{path}:{number}: not JSON: {exc}") from exc
            if not isinstance(obj, dict):
                raise KibanaError(f"{path}:{number}: expected a saved object, got {type(obj).__name__}")
            objects.append(obj)
    return objects


def _multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = f"wiredesk-{uuid.uuid4().hex}"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/ndjson\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def import_saved_objects(url: str, folder: Path, timeout_s: float = TIMEOUT_S) -> ImportResult:
    """POST the objects as one file (so references between files resolve) to /api/saved_objects/_import."""
    objects = load_saved_objects(folder)
    ndjson = "".join(json.dumps(o, ensure_ascii=False, separators=(",", ":")) + "\n" for o in objects)
    body, content_type = _multipart("wiredesk.ndjson", ndjson.encode("utf-8"))
    base = url.rstrip("/")
    request = urllib.request.Request(
        f"{base}/api/saved_objects/_import?overwrite=true",
        data=body,
        method="POST",
        # kbn-xsrf: Kibana refuses API writes without it (cross-site request forgery protection).
        headers={"kbn-xsrf": "true", "Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        raise KibanaError(f"Kibana at {base} refused the import: HTTP {exc.code}: {_message(exc.read())}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise KibanaError(
            f"Kibana is not reachable at {base} ({reason}). Start it (docker compose up kibana) or pass --url."
        ) from exc
    try:
        answer = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise KibanaError(f"{base} did not answer like Kibana (not JSON): {raw[:200]!r}") from exc
    if not isinstance(answer, dict) or not answer.get("success"):
        errors = answer.get("errors", []) if isinstance(answer, dict) else []
        detail = "; ".join(
            f"{e.get('type')} {e.get('id')}: {(e.get('error') or {}).get('type', 'error')}" for e in errors
        )
        raise KibanaError(f"Kibana did not import every object: {detail or _message(raw)}")
    return ImportResult(url=base, count=int(answer.get("successCount", len(objects))))


def _message(raw: bytes) -> str:
    """Kibana's error body is JSON with a `message`; anything else is shown shortened."""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw[:200].decode("utf-8", "replace") or "(no body)"
    return str(data.get("message") or data) if isinstance(data, dict) else str(data)

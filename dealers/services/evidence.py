"""Evidence uploads: a few kinds of files, under a size limit, checked by their first bytes (not by the name
or the browser's claim), stored outside the web root (settings.DEALERS_EVIDENCE_ROOT) and served only by
the evidence view after an access check."""

from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from dealers.exceptions import EvidenceRefused
from dealers.models import Evidence

# extension -> (content type, the first bytes such a file starts with)
ACCEPTED = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".webp": ("image/webp", (b"RIFF",)),
}
MAX_FILES = 5


def evidence_check(uploaded) -> str:
    """The content type `uploaded` is stored with; EvidenceRefused says why not."""
    name = Path(uploaded.name or "").name
    extension = Path(name).suffix.lower()
    if extension not in ACCEPTED:
        raise EvidenceRefused(
            _("%(name)s: only PDF, JPEG, PNG and WebP files are accepted as evidence.") % {"name": name}
        )
    if uploaded.size > settings.DEALERS_EVIDENCE_MAX_BYTES:
        raise EvidenceRefused(
            _("%(name)s is larger than %(limit)s MB.")
            % {"name": name, "limit": settings.DEALERS_EVIDENCE_MAX_BYTES // (1024 * 1024)}
        )
    if uploaded.size == 0:
        raise EvidenceRefused(_("%(name)s is empty.") % {"name": name})
    content_type, signatures = ACCEPTED[extension]
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    if not any(head.startswith(signature) for signature in signatures) or (
        extension == ".webp" and head[8:12] != b"WEBP"
    ):
        raise EvidenceRefused(_("%(name)s is not the kind of file its name says.") % {"name": name})
    return content_type


def evidence_store(*, files, dealer_id: int, by, audit_result=None, finding_step=None) -> list[Evidence]:
    """Check every file first (nothing is stored if one is refused), then store them. Call inside the
    caller's transaction; a file written for a transaction that then fails stays orphaned on disk, which
    costs space, never access."""
    files = list(files)
    if len(files) > MAX_FILES:
        raise EvidenceRefused(_("At most %(count)s files at a time.") % {"count": MAX_FILES})
    checked = [(uploaded, evidence_check(uploaded)) for uploaded in files]
    stored = []
    for uploaded, content_type in checked:
        evidence = Evidence(
            dealer_id=dealer_id,
            audit_result=audit_result,
            finding_step=finding_step,
            name=Path(uploaded.name).name[:200],
            content_type=content_type,
            size=uploaded.size,
            uploaded_by=by,
        )
        evidence.file.save(uploaded.name, uploaded, save=False)
        evidence.save()
        stored.append(evidence)
    return stored

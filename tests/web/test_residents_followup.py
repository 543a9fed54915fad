"""Residents' reports with photo and follow-up, and moderation that protects people (issue 19):
EXIF removed from photos, the private status link, redaction before approval, reject with a
reason, undo, 401/403 to the wrong callers, retention of photos."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from lagesbild.domain.model import SYSTEM
from lagesbild.services import redaction
from lagesbild.services.retention import apply_retention
from lagesbild.store.schema import observations, resident_photos, resident_reports

from .conftest import login

GPS_IFD = 0x8825


def jpeg_with_gps() -> bytes:
    """A camera-like JPEG: GPS position, camera make and model in its EXIF."""
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[GPS_IFD] = {1: "N", 2: (59.0, 19.0, 52.0), 3: "E", 4: (18.0, 3.0, 47.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), "the fixture has GPS"
    return data


def send(client, text="lampa trasig", photo: bytes | None = None, name="p.jpg", **extra):
    data = {"category": "lighting", "lat": "59.3320", "lon": "18.0630", "text": text, **extra}
    files = {"photo": (name, photo, "image/jpeg")} if photo is not None else None
    return client.post("/residents", data=data, files=files, follow_redirects=False)


def test_photo_is_stored_without_exif_and_served_to_moderators_only(client, app_store):
    r = send(client, photo=jpeg_with_gps())
    assert r.status_code == 303, r.text
    with app_store.read() as conn:
        rid, data = conn.execute(select(resident_photos.c.report_id, resident_photos.c.data)).one()
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG" and not stored.getexif() and b"Exif" not in data
    assert b"PhoneMaker" not in data and b"Phone 12" not in data
    # the anonymous and other roles get nothing
    assert client.get(f"/residents/{rid}/photo").status_code == 401
    assert client.get("/residents/moderate").status_code == 401
    login(client, "viewer-polis")
    assert client.get(f"/residents/{rid}/photo").status_code == 403
    assert client.get("/residents/moderate").status_code == 403
    client.cookies.clear()
    login(client, "coordinator-polis")
    page = client.get("/residents/moderate").text
    src = re.search(r'<img data-testid="report-photo" src="([^"]+)"', page).group(1)
    served = client.get(src)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert "no-store" in served.headers["cache-control"]
    img = Image.open(io.BytesIO(served.content))
    assert not img.getexif() and not img.getexif().get_ifd(GPS_IFD) and img.size == (64, 48)


def test_photo_of_the_wrong_kind_or_too_large_names_the_field(client, app_store):
    r = send(client, photo=b"%PDF-1.4 not a picture", name="x.pdf")
    assert r.status_code == 400 and 'id="photo-error"' in r.text
    big = b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 10)
    r = send(client, photo=big)
    assert r.status_code == 400 and "10 MB" in r.text
    with app_store.read() as conn:  # nothing half-written
        assert conn.execute(select(resident_reports.c.id)).first() is None


def test_heic_from_a_phone_is_converted():
    pillow_heif = pytest.importorskip("pillow_heif")
    from lagesbild.services.photos import reencode

    out = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (40, 30), "blue")).save(out, quality=60)
    data, w, h = reencode(out.getvalue())
    assert (w, h) == (40, 30) and Image.open(io.BytesIO(data)).format == "JPEG"


def test_status_link_shows_the_stage_and_nothing_of_others(client, app_store):
    other = send(client, text="annans hemlighet 070-9999999")
    when = (datetime.now(app_store.tz) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = send(client, text="min egen text", occurred_at=when)
    assert r.status_code == 303
    link = r.headers["location"]
    assert re.fullmatch(r"/residents/status/[\w-]{20,}\?new=1", link)
    page = client.get(link).text
    ref = re.search(r'data-testid="report-ref">(LB-[0-9A-F]{6})<', page).group(1)
    assert 'aria-current="step" data-stage="received"' in page
    assert "annans hemlighet" not in page and "min egen text" not in page
    assert other.headers["location"].split("?")[0] != link.split("?")[0]
    assert client.get("/residents/status/not-a-token").status_code == 404
    assert send(client, occurred_at="2020-01-01T10:00").status_code == 400  # years back
    # a moderator opens the desk: under review; accepts: forwarded
    csrf = login(client, "coordinator-polis")
    client.get("/residents/moderate")
    assert 'aria-current="step" data-stage="review"' in client.get(link).text
    with app_store.read() as conn:
        rid, stored = conn.execute(
            select(resident_reports.c.id, resident_reports.c.occurred_at).where(
                resident_reports.c.ref == ref
            )
        ).one()
    assert stored.astimezone(app_store.tz).strftime("%Y-%m-%dT%H:%M") == when
    client.post(f"/residents/{rid}/accept", data={"csrf_token": csrf, "text": "ok"})
    client.cookies.clear()
    assert 'aria-current="step" data-stage="forwarded"' in client.get(link).text


def test_finds_personal_data():
    text = "ring mig på 070-1234567 /Anna Svensson, jag heter Kalle, pnr 19800101-1234, a@b.se"
    kinds = [(text[f.start : f.end], f.kind) for f in redaction.find(text)]
    assert kinds == [
        ("070-1234567", "phone"),
        ("Anna Svensson", "name"),
        ("Kalle", "name"),
        ("19800101-1234", "personnummer"),
        ("a@b.se", "email"),
    ]
    assert redaction.find("tre sprutor vid lekplatsen i maj 2024, lampan nr 12 trasig") == []


def test_approve_shares_only_the_redacted_text(client, app_store):
    send(client, text="ring mig på 070-1234567 /Anna Svensson, sprutor vid trappan")
    csrf = login(client, "coordinator-polis")
    page = client.get("/residents/moderate").text
    assert '<mark data-kind="phone">070-1234567' in page
    assert '<mark data-kind="name">Anna Svensson' in page
    textarea = re.search(r'<textarea id="text-(\d+)" name="text"[^>]*>([^<]*)</textarea>', page)
    rid, prefilled = int(textarea.group(1)), textarea.group(2)
    assert "070" not in prefilled and "Anna" not in prefilled and "sprutor vid trappan" in prefilled
    edited = "sprutor vid trappan"
    client.post(f"/residents/{rid}/accept", data={"csrf_token": csrf, "text": edited})
    with app_store.read() as conn:
        texts = [t for (t,) in conn.execute(select(observations.c.text))]
    assert edited in texts and not any(t and "070" in t for t in texts)


def test_api_accept_without_text_redacts_by_itself(client, app_store):
    rid = client.post(
        "/api/v1/resident-reports",
        json={"category": "litter", "lat": 59.332, "lon": 18.063, "text": "jag heter Per, skräp"},
    ).json()["id"]
    csrf = login(client, "coordinator-polis")
    r = client.post(f"/api/v1/resident-reports/{rid}/accept", headers={"X-CSRF-Token": csrf})
    obs = r.json()["observation_id"]
    with app_store.read() as conn:
        text = conn.execute(select(observations.c.text).where(observations.c.id == obs)).scalar()
    assert "Per" not in text and "skräp" in text


def test_reject_needs_a_reason_and_confirmation_and_undo_restores(client, app_store):
    send(client, text="kastade skräp")
    csrf = login(client, "coordinator-polis")
    page = client.get("/residents/moderate").text
    rid = int(re.search(r'id="r(\d+)"', page).group(1))
    r = client.post(f"/residents/{rid}/reject", data={"csrf_token": csrf, "reason": "dublett"})
    assert "error=reason" in str(r.url)  # no confirmation
    r = client.post(f"/residents/{rid}/reject", data={"csrf_token": csrf, "confirm": "1"})
    assert "error=reason" in str(r.url)  # no reason
    client.post(
        f"/residents/{rid}/reject", data={"csrf_token": csrf, "confirm": "1", "reason": "dublett"}
    )
    with app_store.read() as conn:
        row = conn.execute(select(resident_reports).where(resident_reports.c.id == rid)).one()
    assert row.status == "rejected" and row.reason == "dublett"
    assert 'action="/residents/undo"' in client.get("/residents/moderate").text
    client.post("/residents/undo", data={"csrf_token": csrf})
    # accepted and undone: the observation is gone again
    client.post(f"/residents/{rid}/accept", data={"csrf_token": csrf, "text": "skräp"})
    with app_store.read() as conn:
        obs = conn.execute(
            select(resident_reports.c.observation_id).where(resident_reports.c.id == rid)
        ).scalar()
    assert obs
    client.post("/residents/undo", data={"csrf_token": csrf})
    with app_store.read() as conn:
        row = conn.execute(select(resident_reports).where(resident_reports.c.id == rid)).one()
        gone = conn.execute(select(observations.c.id).where(observations.c.id == obs)).first()
    assert row.status == "pending" and row.observation_id is None and row.reason is None
    assert gone is None
    r = client.post("/residents/undo", data={"csrf_token": csrf})
    assert "error=undo" in str(r.url)  # nothing left to undo


def test_retention_deletes_old_photos(client, app_store):
    send(client, photo=jpeg_with_gps())
    with app_store.write() as conn:
        old = datetime.now(UTC) - timedelta(days=40)
        conn.execute(resident_photos.update().values(created_at=old))
    assert apply_retention(app_store, 30, "pseudonymise", SYSTEM, dry_run=True) >= 1
    apply_retention(app_store, 30, "pseudonymise", SYSTEM)
    with app_store.read() as conn:
        assert conn.execute(select(resident_photos.c.id)).first() is None

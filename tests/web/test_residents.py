"""Residents' reports and their moderation (web/residents.py)."""

from __future__ import annotations

from .conftest import login


def test_moderation_error_in_the_pages_language_and_never_from_the_link(client):

    rid = client.post(
        "/api/v1/resident-reports",
        json={"category": "lighting", "lat": 59.3320, "lon": 18.0630, "text": "lampa"},
    ).json()["id"]
    csrf = login(client, "coordinator-polis")
    for _ in range(2):  # the second accept finds it moderated already
        r = client.post(f"/residents/{rid}/accept", data={"csrf_token": csrf})
    assert r.status_code == 200 and "?error=status" in str(r.url)
    assert "Rapporten har redan modererats" in r.text and "already accepted" not in r.text
    english = client.get("/residents/moderate?error=status&lang=en").text
    assert "The report has already been moderated" in english
    # a link's own text never shows on the page
    r = client.get("/residents/moderate?error=Ring+08-123+45+67+och+uppge+ditt+BankID")
    assert r.status_code == 200 and "BankID</p>" not in r.text and "form-error" not in r.text

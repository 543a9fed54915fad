"""The answer cache (web/cache.py): no Host header in a cached answer."""

from __future__ import annotations


def test_a_forged_host_never_reaches_another_clients_cached_answer(client):
    url = "/api/v1/crimes?limit=1"
    forged = client.get(url, headers={"Host": "attacker.example"}).json()
    assert "attacker.example" in forged["links"][0]["href"]  # its own answer: its own host
    honest = client.get(url).json()
    assert [link["href"] for link in honest["links"]] == [
        "https://testserver/api/v1/crimes?limit=1&offset=1"
    ]

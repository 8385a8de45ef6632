"""The newcomer demo (``python -m cors_wsgi.demo``) in a real browser: every scenario on its page behaves
as the page says it should, and the page shows both an allowed and a blocked call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cors_wsgi.demo import start

pytestmark = pytest.mark.browser


@pytest.fixture
def demo() -> Iterator[Any]:
    running = start(host="127.0.0.1", api_port=0, page_port=0)
    try:
        yield running
    finally:
        running.stop()


def test_demo_page_shows_the_expected_verdicts(fresh_page: Any, demo: Any) -> None:
    fresh_page.goto(demo.page_url)
    fresh_page.wait_for_selector("body[data-done='true']", state="attached")

    scenarios = fresh_page.eval_on_selector_all(
        "[data-scenario]",
        """sections => sections.map(s => ({
            name: s.dataset.scenario, outcome: s.dataset.outcome, expected: s.dataset.expected,
            asExpected: s.dataset.asExpected}))""",
    )

    assert scenarios, "the demo page has no scenario"
    for scenario in scenarios:
        assert scenario["outcome"] == scenario["expected"], scenario
        # the page's own check of what the API logged (e.g. a preflight never reaching the app)
        assert scenario["asExpected"] == "true", scenario
    outcomes = {scenario["outcome"] for scenario in scenarios}
    assert outcomes == {"allowed", "blocked"}

"""The workspace in a real browser: Playwright driving Debian's Chromium against uvicorn.

Chromium comes from apt (`.ci/run` installs it when missing), launched by path since
Playwright's own browser download cannot work here. Without it the test is skipped
locally and fails in CI. Set UMOT_SCREENSHOTS to a folder to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from storage import open_database, upsert_mentions
from tests.conftest import make_mention
from tests.web_helpers import PASSWORDS, build_database, tiny_base_data, workspace_config
from umot.web.app import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    path = tmp_path / "web.db"
    ids = build_database(path)
    config = workspace_config(tmp_path, serve={"poll_seconds": 0.5})
    port = free_port()
    app = create_app(config, path, tiny_base_data(tmp_path))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", ids, path
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "CI needs Debian's chromium (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def shoot(page, name: str) -> None:
    folder = os.environ.get("UMOT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def log_in(page, base: str, name: str) -> None:
    """Log in through the form (from wherever the page is: /login is opened if needed)."""
    if "/login" not in page.url:
        page.goto(base + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("form.login button[type=submit]")
    page.wait_for_url(base + "/")


def stored(path, sql):
    db = open_database(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_community_manager_works_the_inbox(served, browser, width):
    base, _, path = served
    size = "desktop" if width > 800 else "phone"
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda dialog: errors.append(f"a dialog opened: {dialog.message}"))

    page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    log_in(page, base, "bram")
    shoot(page, f"inbox-{size}")

    # A mention collected while the inbox is open appears at the top without a reload.
    db = open_database(path)
    upsert_mentions(db, [make_mention(text="Velora: net binnen, live in de inbox")], source="t")
    db.close()
    page.wait_for_selector("article.mention.arrived", timeout=10_000)
    assert "live in de inbox" in page.locator("#rows article").first.inner_text()
    assert "1 new mention" in page.locator("#new-mentions").inner_text()

    # The hostile post is text: no script ran, no image tag, the long word stays inside.
    hostile = page.locator("article.mention", has_text="<script>alert('x')</script>")
    assert hostile.count() == 1
    assert page.locator("article.mention img").count() == 0
    box = hostile.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width + 1

    # Filter the inbox (on a phone the filters start folded).
    if size == "phone":
        page.click("details.fold:has(form.filters) > summary")
    page.select_option("form.filters select[name=sentiment]", "negative")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**sentiment=negative**")
    texts = page.locator("article.mention .text").all_inner_texts()
    assert any("Blijf weg bij Velora" in t for t in texts)
    assert not any("Smaakdoos is top" in t for t in texts)

    # Open the thread: the root, the prospect and the nested reply, in tree order.
    page.click("article.mention .text a:has-text('accu is na drie weken')")
    page.wait_for_url("**/mentions/**")
    tree = page.locator("ol.tree li").all_inner_texts()
    assert [i for i, t in enumerate(tree) if "@twijfelaar" in t] == [1]
    assert page.locator("dl.figures").inner_text().count("Prospects exposed") == 1
    shoot(page, f"mention-{size}")
    page.go_back()

    # Correct a stage in bulk and mark the mentions handled.
    if size == "phone":
        page.click("details.fold:has(#bulk) > summary")
    page.check("#pick-all")
    page.select_option("#bulk select[name=set_stage]", "experience")
    page.select_option("#bulk select[name=status]", "handled")
    page.click("#bulk button[type=submit]")
    page.wait_for_load_state()
    labels = stored(path, "SELECT stage, labeled_by FROM human_labels")
    assert labels and all(row == ("experience", "bram") for row in labels)
    statuses = stored(path, "SELECT DISTINCT status FROM triage")
    assert statuses == [("handled",)]
    assert "✎" in page.locator("#rows").inner_text()  # corrections are marked

    # Acknowledge the alert.
    page.goto(base + "/alerts")
    page.fill("article.alert input[name=note]", "Klant gebeld")
    page.click("article.alert button[value=acknowledged]")
    page.wait_for_load_state()
    assert "Acknowledged by bram" in page.locator("article.alert").inner_text()
    shoot(page, f"alerts-{size}")

    page.goto(base + "/overview?week=2026-W47")
    assert page.locator(".charts img").count() == 2
    shoot(page, f"overview-{size}")
    assert errors == []


def test_labelling_by_keyboard_in_the_review_queue(served, browser):
    base, _, path = served
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, base, "bram")
    page.goto(base + "/review")
    first = page.locator("#review input[name=id]").get_attribute("value")

    page.keyboard.press("2")  # consideration
    page.keyboard.press("0")  # neutral
    page.keyboard.press("Enter")
    page.wait_for_selector("#undo")
    assert stored(path, "SELECT mention_id, stage, sentiment FROM human_labels") == [
        (first, "consideration", "neutral")
    ]
    shoot(page, "review-desktop")
    assert page.locator("#review input[name=id]").get_attribute("value") != first

    page.keyboard.press("z")  # undo
    page.wait_for_load_state()
    page.wait_for_selector("#undo", state="detached")
    assert stored(path, "SELECT count(*) FROM human_labels") == [(0,)]
    assert page.locator("#review input[name=id]").get_attribute("value") == first

    page.keyboard.press("s")  # skip
    page.wait_for_url("**skip=**")
    assert page.locator("#review input[name=id]").get_attribute("value") != first


def test_an_admin_retrains_from_the_review_page(served, browser):
    base, _, _ = served
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, base, "anna")
    page.goto(base + "/review")
    page.click("#retrain button:has-text('Retrain from the labels')")
    page.wait_for_selector("#retrain table", timeout=120_000)  # the comparison, when done
    panel = page.locator("#retrain").inner_text()
    assert "v0001" in panel and "held-out human labels, stage" in panel
    shoot(page, "review-retrained-desktop")

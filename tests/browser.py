"""What the browser tests share beside the `chromium` fixture (tests/conftest.py)."""

from tests import factories


def log_in(page, base_url: str, username: str, next_path: str):
    """Through the admin's login form, as a person does, landing on `next_path`."""
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("input[type=submit]")

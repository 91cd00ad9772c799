"""What the browser tests share beside the `chromium` fixture (tests/conftest.py)."""

from tests import factories

# Every element inside #content-main whose box reaches beyond it (left or right).
OVERFLOWING = """main => {
    const edge = main.getBoundingClientRect();
    return [...main.querySelectorAll('*')]
        .filter(element => {
            const box = element.getBoundingClientRect();
            return box.width > 0 && (box.left < edge.left - 1 || box.right > edge.right + 1);
        })
        .map(element => `${element.tagName}.${element.className}: ${element.textContent}`);
}"""


def log_in(page, base_url: str, username: str, next_path: str):
    """Through the admin's login form, as a person does, landing on `next_path`."""
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("input[type=submit]")

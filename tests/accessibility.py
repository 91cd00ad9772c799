"""A page as anyone meets it, checked in a real browser (the `chromium` fixture of
tests/conftest.py, Playwright's sync API): at the widths people use, nothing scrolls sideways,
nothing is cut or pushed out of its column, no word is broken in two, and axe-core (pinned in
package.json, installed by `make install-node`) finds no critical or serious violation.

    page.goto(url)
    check_page(page, container="#content-main")

`check_page` reports every problem of the page at once, each on its own line."""

from pathlib import Path

from tests.depth import DEEP

# The widths the pages are held to: 1024 and 1280 px in `make test`; 1440 and 1920 px as well in
# `make test-deep` (TEST_DEPTH=deep), where a page is more likely to have room than to lack it.
WIDTHS = (1024, 1280, 1440, 1920) if DEEP else (1024, 1280)

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")

# A short name for an element in a failure message: tag#id.class "its text".
_DESCRIBE = """const describe = element => {
    const id = element.id ? `#${element.id}` : '';
    const classes = [...element.classList].map(name => `.${name}`).join('');
    const text = (element.innerText || element.value || '').trim().replace(/\\s+/g, ' ');
    return `${element.tagName.toLowerCase()}${id}${classes} "${text.slice(0, 60)}"`;
};
const shown = element => element.checkVisibility({visibilityProperty: true})
    && element.getBoundingClientRect().width > 1;"""

# Every element of the container that is seen and reaches beyond its left or right edge.
OUTSIDE = f"""root => {{
    {_DESCRIBE}
    const edge = root.getBoundingClientRect();
    const outside = new Set([...root.querySelectorAll('*')]
        .filter(element => shown(element))
        .filter(element => {{
            const box = element.getBoundingClientRect();
            return box.left < edge.left - 1 || box.right > edge.right + 1;
        }}));
    // The outermost of them: what is inside one that is out says nothing more.
    return [...outside]
        .filter(element => !outside.has(element.parentElement))
        .map(element => `outside ${{describe(root)}}: ${{describe(element)}}`);
}}"""

# Every box of the container whose content is wider than the box and hidden or scrolled away
# inside it: a list's column scrolled off, a label clipped. Form controls scroll their own text.
CLIPPED = f"""root => {{
    {_DESCRIBE}
    return [root, ...root.querySelectorAll('*')]
        .filter(element => !element.matches('input, textarea, select, option, html, body'))
        .filter(element => shown(element) && getComputedStyle(element).overflowX !== 'visible')
        .filter(element => element.scrollWidth > element.clientWidth + 1)
        .map(element => `cut (${{element.scrollWidth}} px in ${{element.clientWidth}}): ` +
            describe(element));
}}"""

# Every word of the container's text split over two lines ("Kowalsk / i"). A word is a run of
# letters; a hyphen may end a line. Tokens with digits, slashes, dots, @ or _ inside (addresses,
# identifiers) may break anywhere.
BROKEN_WORDS = f"""root => {{
    {_DESCRIBE}
    const word = /^[("“‘]?[\\p{{L}}’'-]+[).,;:!?”’"]*$/u;
    const broken = [];
    const range = document.createRange();
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {{
        const parent = node.parentElement;
        if (!parent || parent.closest('script, style, textarea, pre, svg') || !shown(parent)) {{
            continue;
        }}
        for (const token of node.data.matchAll(/\\S+/g)) {{
            if (!word.test(token[0])) continue;
            for (const letters of token[0].matchAll(/\\p{{L}}{{2,}}/gu)) {{
                const start = token.index + letters.index;
                range.setStart(node, start);
                range.setEnd(node, start + letters[0].length);
                const lines = new Set([...range.getClientRects()]
                    .filter(box => box.width > 0)
                    .map(box => Math.round(box.bottom)));
                if (lines.size > 1) {{
                    broken.push(`word broken "${{letters[0]}}": ${{describe(parent)}}`);
                }}
            }}
        }}
    }}
    return broken;
}}"""

AXE_RUN = """async blocking => {
    const results = await axe.run(document, {resultTypes: ['violations']});
    return results.violations
        .filter(violation => blocking.includes(violation.impact))
        .map(violation => `axe ${violation.impact} ${violation.id}: ${violation.help} (` +
            violation.nodes.slice(0, 8).map(node => node.target.join(' ')).join(', ') +
            (violation.nodes.length > 8 ? `, ${violation.nodes.length - 8} more` : '') + ')');
}"""


def check_page(page, *, container: str = "body") -> None:
    """The page loaded in `page` (a Playwright sync page): no sideways scroll; no element of
    `container` seen outside it, cut inside its box or with a word broken over two lines; no
    critical or serious axe-core violation on the whole document. Fails listing them all."""
    problems = page_layout_problems(page, container=container) + axe_violations(page)
    width = page.viewport_size["width"] if page.viewport_size else "?"
    assert not problems, f"{page.url} at {width} px:\n  " + "\n  ".join(problems)


def page_layout_problems(page, *, container: str = "body") -> list[str]:
    problems = []
    scroll = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if scroll[0] > scroll[1]:
        problems.append(f"scrolls sideways: {scroll[0]} px wide in a {scroll[1]} px window")
    root = page.locator(container)
    assert root.count() == 1, f"{page.url}: {container} is not on the page once"
    for script in (OUTSIDE, CLIPPED, BROKEN_WORDS):
        problems += root.evaluate(script)
    return problems


def axe_violations(page) -> list[str]:
    """axe-core's critical and serious violations on the page, one line each."""
    assert AXE.exists(), f"{AXE} is missing: run `make install-node` (npm ci)"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN, list(BLOCKING))

"""Layout checks on element boxes as Chromium laid them out: clipped text, overlaps, page width.

Shared by the browser tests of the pages people work on (issue 14 item 2), at 1280 and 390 px.
"""

from __future__ import annotations

WIDTHS = (1280, 390)

_CLIPPED_JS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.offsetParent !== null)
  .filter(el => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
  .map(el => ({text: el.innerText.trim().slice(0, 60), scroll: el.scrollWidth, client: el.clientWidth}))"""

_OVERLAPS_JS = """([first, second]) => {
  const boxes = sel => [...document.querySelectorAll(sel)].filter(el => el.offsetParent !== null)
    .map(el => [el, el.getBoundingClientRect()]);
  const hits = [];
  for (const [a, ra] of boxes(first)) for (const [b, rb] of boxes(second)) {
    if (a === b || a.contains(b) || b.contains(a)) continue;
    const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
    const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
    if (w > 1 && h > 1) hits.push([a.innerText.trim().slice(0, 40), b.innerText.trim().slice(0, 40)]);
  }
  return hits;
}"""


def set_width(page, width: int, height: int = 900) -> None:
    """Resize the viewport (a phone at 390 px, an office screen at 1280 px)."""
    page.set_viewport_size({"width": width, "height": height})


def clipped(page, selector: str) -> list[dict]:
    """Visible elements matching `selector` whose content is wider or taller than their box."""
    return page.evaluate(_CLIPPED_JS, selector)


def overlaps(page, first: str, second: str) -> list[list[str]]:
    """Pairs of visible elements (one per selector, neither inside the other) whose boxes intersect."""
    return page.evaluate(_OVERLAPS_JS, [first, second])


_OVERFLOW_JS = """async () => {
  // measure the settled layout: web fonts in, the resize and its style changes rendered
  await document.fonts.ready;
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width + 1) return [];
  const scrolls = el => /(auto|scroll|hidden|clip)/.test(getComputedStyle(el).overflowX);
  const inScroller = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
    if (scrolls(p)) return true; return false; };
  const too_wide = [...document.body.querySelectorAll("*")]
    .filter(el => el.offsetParent !== null && el.getBoundingClientRect().right > width + 1 && !inScroller(el))
    .map(el => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")}`
      + ` right=${Math.round(el.getBoundingClientRect().right)}`);
  return too_wide.length ? too_wide.slice(-5) : [`document ${document.documentElement.scrollWidth} px`];
}"""


def page_overflows(page) -> list[str]:
    """The elements that make the document wider than the viewport (horizontal scrolling of the whole
    page), measured once fonts and the last resize have been rendered; empty when it fits."""
    return page.evaluate(_OVERFLOW_JS)


def box(page, selector: str) -> dict:
    """The bounding box of the first element matching `selector` (x, y, width, height in px)."""
    return page.locator(selector).first.bounding_box()


def page_height(page) -> int:
    """The document's height in px (a measure of how long a form or report is)."""
    return page.evaluate("() => document.documentElement.scrollHeight")

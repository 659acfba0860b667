"""The keyboard alone (SPEC 14): Tab, Shift+Tab, Enter, Space and the arrow keys through `page.keyboard`, never a
click, and text typed into the element the keyboard has focused.

Every control the Tab key stops on on the way must show a visible focus (an outline or a focus shadow): the
journeys check the focus of every control they pass, not only of those they use.
"""

from playwright.sync_api import Locator, Page

# One round trip per key: whether `target` has the focus, and how the focused element shows it.
_FOCUS_STATE = """(target) => {
  const element = document.activeElement;
  const style = element ? getComputedStyle(element) : null;
  const outlined = style && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadowed = style && style.boxShadow && style.boxShadow !== "none";
  return {
    reached: element === target,
    control: element && element !== document.body && element.tagName !== "MAIN",
    visible: Boolean(outlined || shadowed),
    what: element ? element.outerHTML.slice(0, 160) : "nothing",
  };
}"""


class Keyboard:
    """Moves through a page as a keyboard user does and fails on a control without a visible focus."""

    def __init__(self, page: Page, *, limit: int = 80) -> None:
        self.page = page
        self.limit = limit  # presses before giving up on reaching a control
        page.bring_to_front()  # the focused page of the browser: :focus and :focus-visible match in it

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def type(self, text: str, *, replace: bool = False) -> None:
        """Types into the focused element; `replace` selects what it holds first."""
        if replace:
            self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.type(text)

    def tab_to(self, target: Locator, *, backwards: bool = False) -> Locator:
        """Presses Tab (Shift+Tab backwards) until `target` has the focus, checking the focus of each stop."""
        for _ in range(self.limit):
            state = target.evaluate(_FOCUS_STATE)
            for _ in range(40):  # read again while the focus settles (a date field moves it inside itself)
                if not state["control"] or state["visible"]:
                    break
                self.page.wait_for_timeout(50)
                state = target.evaluate(_FOCUS_STATE)
            assert not state["control"] or state["visible"], f"no visible focus on {state['what']}"
            if state["reached"]:
                return target
            self.press("Shift+Tab" if backwards else "Tab")
        raise AssertionError(f"the keyboard never reached {target}")

    def activate(self, target: Locator, key: str = "Enter") -> None:
        """Reaches `target` and presses Enter (a link, a button) or Space (a checkbox)."""
        self.tab_to(target)
        self.press(key)

    def fill(self, field: Locator, text: str) -> None:
        """Reaches `field` and types `text` in place of what it holds."""
        self.tab_to(field)
        self.type(text, replace=True)

    def choose(self, radio: Locator) -> None:
        """Reaches the radio group of `radio` (Tab stops once on a group) and moves to `radio` with the arrows,
        which checks it; Space checks it when the Tab landed on it."""
        name = radio.get_attribute("name")
        group = self.page.locator(f"input[type=radio][name='{name}']:focus")
        for _ in range(self.limit):
            if group.count():
                break
            self.press("Tab")
        else:
            raise AssertionError(f"the keyboard never reached the radio group {name}")
        for _ in range(8):
            if radio.evaluate("element => element === document.activeElement"):
                if not radio.is_checked():
                    self.press("Space")
                return
            self.press("ArrowDown")
        raise AssertionError(f"the arrows never reached {radio}")

    def select(self, select: Locator, label: str) -> None:
        """Reaches a select and moves its choice with the arrows to the option labelled `label`."""
        self.tab_to(select)
        for key in ("ArrowDown", "ArrowUp"):
            for _ in range(30):
                if select.evaluate("element => element.selectedOptions[0].label.trim()") == label:
                    return
                previous = select.input_value()
                self.press(key)
                if select.input_value() == previous:
                    break  # the end of the list: try the other way
        raise AssertionError(f"no option {label!r} in {select}")

    def focused(self) -> Locator:
        return self.page.locator(":focus")

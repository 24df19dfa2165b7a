"""What every Noodrem PDF shares: DejaVu fonts, a running header and footer, fast text.

The core PDF fonts cannot write "ë" or "€", so a TrueType font is required; without it
the export stops with a message saying what to install, instead of a PDF with holes.
fpdf2's ``cell`` costs ~75 µs, too slow for a 10,000-event timeline, so long tables are
drawn with ``text`` and our own word wrap, measured from the font's width table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import TextMode, XPos, YPos
from fpdf.fonts import FontFace, TTFFont
from fpdf.util import escape_parens

from bot.evidence import EvidenceError
from bot.evidence.model import Row

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu: fonts-dejavu-core
    Path("/usr/share/fonts/dejavu"),  # Fedora, Alpine
    Path("/usr/share/fonts/TTF"),  # Arch
)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
MONO_FILE = "DejaVuSansMono.ttf"
SANS = "DejaVu"
MONO = "DejaVuMono"
GREY = (110, 110, 110)
BLACK = (0, 0, 0)
LABEL = FontFace(emphasis="BOLD", color=(60, 60, 60))


def find_fonts(font_dir: Path | None = None) -> Path:
    """The folder holding the DejaVu fonts, or ``EvidenceError`` saying what to install."""
    candidates = (font_dir,) if font_dir is not None else FONT_DIRS
    needed = (*FONT_FILES.values(), MONO_FILE)
    for folder in candidates:
        if all((folder / name).is_file() for name in needed):
            return folder
    where = ", ".join(str(folder) for folder in candidates)
    raise EvidenceError(
        f"the DejaVu fonts ({', '.join(needed)}) are not in {where}: install them "
        "(Debian/Ubuntu: apt-get install fonts-dejavu-core) so Dutch text (ë, é, €) can render"
    )


class EvidencePdf(FPDF):
    """A4 portrait with the DejaVu fonts, a header line and a footer on every page.

    ``footer_text(page, pages)`` returns the footer of one page. The footers are drawn
    when the file is finished (``finish``), onto every page, once the page count is known:
    fpdf2's ``{nb}`` alias reserves the width of three digits when the footer is drawn, so
    a centred "page 1 of 12345" came out off-centre (and, with older fpdf2, wrong); and its
    substitution scans every page again at the end.
    """

    def __init__(
        self,
        *,
        header_text: str,
        footer_text: Callable[[int, int], str],
        title: str,
        created_at: datetime,
        font_dir: Path | None = None,
        orientation: str = "portrait",
    ) -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        # fontTools logs every font subset at INFO: pages of noise per export in the log.
        logging.getLogger("fontTools.subset").setLevel(logging.WARNING)
        fonts = find_fonts(font_dir)
        for style, name in FONT_FILES.items():
            self.add_font(SANS, style, str(fonts / name))
        self.add_font(MONO, "", str(fonts / MONO_FILE))
        self._header_text = header_text
        self._footer_text = footer_text
        self.set_margins(15, 16, 15)
        self.set_auto_page_break(True, margin=16)
        self.set_title(title)
        self.set_producer("Noodrem")
        self.set_creation_date(created_at)
        self._widths: dict[tuple[str, float, str], float] = {}
        self._glyphs: dict[int, _Glyphs] = {}  # per font
        self.alias_nb_pages(None)  # type: ignore[arg-type]  # fpdf2 documents None: off

    def header(self) -> None:
        self.set_font(SANS, "", 7.5)
        self.set_text_color(*GREY)
        self.set_xy(self.l_margin, 8)
        self.cell(0, 4, self._header_text)
        self.set_draw_color(*GREY)
        self.set_line_width(0.2)
        self.line(self.l_margin, 12.5, self.w - self.r_margin, 12.5)
        self.set_text_color(*BLACK)
        self.set_xy(self.l_margin, self.t_margin)

    def finish(self) -> bytes:
        """The file: every page's footer with the page count, then fpdf2's output."""
        pages = self.pages_count
        last = self.page
        self.set_auto_page_break(False)  # a footer sits below the page-break line
        for number in range(1, pages + 1):
            self.page = number  # fpdf2 appends to a page left earlier, as for a table of contents
            self.current_font_is_set_on_page = False  # this page's stream has its own font
            with self.local_context():  # q … Q: what the page left set stays as it was
                self.set_font(SANS, "", 7.5)
                self.set_fill_color(255, 255, 255)
                self.set_text_color(*GREY)
                self.set_xy(self.l_margin, self.h - 11)
                self.cell(0, 4, self._footer_text(number, pages), align="C")
        self.page = last
        return bytes(self.output())

    # Text --------------------------------------------------------------------------------
    def heading(self, text: str, *, size: float = 11.5) -> None:
        """A section title; starts a new page when fewer than 30 mm are left."""
        if self.get_y() > self.page_break_trigger - 30:
            self.add_page()
        self.set_font(SANS, "B", size)
        self.cell(0, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)
        self.set_font(SANS, "", 9)

    def paragraph(self, text: str, *, size: float = 8.5, color: Sequence[int] = BLACK) -> None:
        self.set_font(SANS, "", size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.45, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*BLACK)

    def rows(self, rows: Sequence[Row], *, mono_values: bool = False) -> None:
        """Label | value rows across the page; long values wrap within their column."""
        self.set_font(SANS, "", 8.5)
        value_style = FontFace(family=MONO, size_pt=7.5) if mono_values else None
        with self.table(
            col_widths=(32, 68),
            first_row_as_headings=False,
            text_align="LEFT",
            borders_layout="HORIZONTAL_LINES",
            line_height=4.0,
            padding=(0.9, 1.5, 0.9, 1.5),
        ) as table:
            for item in rows:
                row = table.row()
                row.cell(item.label, style=LABEL)
                row.cell(item.value or "—", style=value_style)
        self.ln(2)

    def texts(self, placed: Iterable[tuple[float, float, str]]) -> None:
        """``text(x, y, string)`` for each, in the current font and colour, written to the
        page at once. fpdf2's ``text`` costs ~15 µs a call, mostly mapping each character
        to the font subset in Python; here a character is mapped once (``_Glyphs``) and a
        string with ``str.translate``. fpdf2's own ``text`` is used for what this does not
        cover: a core font, underlining, a text colour other than the fill colour."""
        font = self.current_font
        plain = (
            isinstance(font, TTFFont)
            and not font.is_symbol
            and self.text_mode == TextMode.FILL
            and not (self.underline or self.strikethrough or self._record_text_quad_points)
            and self.fill_color == self.text_color  # else fpdf2 sets the colour per text
        )
        if not plain or not isinstance(font, TTFFont):
            for x, y, text in placed:
                self.text(x, y, text)
            return
        if not self.current_font_is_set_on_page:
            self._out(self._set_font_for_page(font, self.font_size_pt))
        glyphs = self._glyphs.get(font.i)
        if glyphs is None:
            glyphs = self._glyphs[font.i] = _Glyphs(font)
        k, top = self.k, self.h
        self._out(
            "\n".join(
                f"BT {x * k:.2f} {(top - y) * k:.2f} Td "
                f"({escape_parens(text.translate(glyphs).encode('utf-16-be').decode('latin-1'))})"
                " Tj ET"
                for x, y, text in placed
            )
        )

    def width_of(self, text: str) -> float:
        """``get_string_width`` for the current font, ~5x faster: per-word cache."""
        key = (self.font_family + self.font_style, self.font_size_pt, text)
        width = self._widths.get(key)
        if width is None:
            cw: Any = getattr(self.current_font, "cw", None)
            if cw is None:  # not a TrueType font: take fpdf2's own, slower, route
                return float(self.get_string_width(text))
            width = sum(cw[ord(c)] for c in text) * self.font_size_pt * 0.001 / self.k
            if len(self._widths) < 50_000:  # the common words come first; ~7 MiB at most
                self._widths[key] = width
        return width

    def wrap(self, text: str, width: float, *, max_lines: int = 12) -> list[str]:
        """Greedy word wrap to ``width`` mm; a word wider than a line is cut by character.
        More than ``max_lines`` lines end in "…" (the JSON export keeps the full text)."""
        lines: list[str] = []
        space = self.width_of(" ")
        for paragraph in text.split("\n"):
            line, used = "", 0.0
            for word in paragraph.split(" "):
                w = self.width_of(word)
                if line and used + space + w <= width:
                    line, used = f"{line} {word}", used + space + w
                    continue
                if line:
                    lines.append(line)
                while w > width:  # a hash, a URL: cut it
                    cut = len(word)
                    while cut > 1 and self.width_of(word[:cut]) > width:
                        cut = max(1, int(cut * width / self.width_of(word[:cut])) - 1)
                    lines.append(word[:cut])
                    word = word[cut:]
                    w = self.width_of(word)
                line, used = word, w
            lines.append(line)
        if len(lines) > max_lines:
            lines = [*lines[: max_lines - 1], lines[max_lines - 1] + " …"]
        return lines


class _Glyphs(dict[int, str]):
    """Character → its code in the font's subset, for ``str.translate``: a character is
    added to the subset (fpdf2's ``pick``) the first time it is drawn, as ``text`` does;
    one the font cannot draw maps to nothing, as there."""

    def __init__(self, font: TTFFont) -> None:
        super().__init__()
        self._font = font

    def __missing__(self, char: int) -> str:
        code = self._font.subset.pick(char)
        self[char] = mapped = "" if code is None else chr(code)
        return mapped

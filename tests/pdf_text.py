"""Text of a PDF made by fpdf2 with embedded TTF fonts, extracted with pikepdf.

fpdf2 writes text as 2-byte glyph codes (Identity-H) with a ToUnicode CMap per
font; this reads the CMaps and decodes every Tj/TJ string on every page.
"""

import io
import re

import pikepdf


def _cmap(stream: pikepdf.Stream) -> dict[int, str]:
    text = stream.read_bytes().decode("latin-1")
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for code, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(uni).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for start, end, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first = int.from_bytes(bytes.fromhex(uni), "big")
            for offset, code in enumerate(range(int(start, 16), int(end, 16) + 1)):
                mapping[code] = chr(first + offset)
    return mapping


def _decode(data: bytes, mapping: dict[int, str]) -> str:
    return "".join(mapping.get(int.from_bytes(data[i : i + 2], "big"), "") for i in range(0, len(data) - 1, 2))


def pdf_text(data: bytes) -> str:
    pdf = pikepdf.open(io.BytesIO(data))
    lines: list[str] = []
    for page in pdf.pages:
        fonts = {}
        for name, font in page.Resources.Font.items():
            if "/ToUnicode" in font:
                fonts[name] = _cmap(font.ToUnicode)
        current: dict[int, str] = {}
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op == "Tf":
                current = fonts.get(str(operands[0]), {})
            elif op == "Tj":
                lines.append(_decode(bytes(operands[0]), current))
            elif op == "TJ":
                lines.append(
                    "".join(_decode(bytes(part), current) for part in operands[0] if isinstance(part, pikepdf.String))
                )
    return "\n".join(lines)

"""``--scan`` of Word, PowerPoint and OpenDocument documents: a link the application split into runs or spans, read
whole."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgur_dl import office
from imgur_dl.scan import Scanner
from tests.conftest import run_main

W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
A = b'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
# What Word writes between two runs of one word (ruby-docx #181, nguyenthenguyen/docx #43): the runs' ends and
# starts with their revision ids, their properties, the spelling checker's marks, a bookmark, a link's start.
BETWEEN = [
    b"</w:t></w:r><w:r><w:t>",
    b'</w:t></w:r><w:r w:rsidR="00D3" w:rsidRPr="00E4"><w:rPr><w:rFonts w:ascii="Arial" w:hAnsi="Arial"/>'
    b'<w:lang w:val="en-US"/></w:rPr><w:t xml:space="preserve">',
    b'</w:t></w:r><w:proofErr w:type="spellStart"/><w:r><w:t>',
    b'</w:t></w:r>\n  <w:bookmarkStart w:id="0" w:name="_GoBack"/><w:bookmarkEnd w:id="0"/>\n  <w:r><w:t>',
    b'</w:t></w:r><w:hyperlink r:id="rId5" w:history="1"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr>'
    b"<w:lastRenderedPageBreak/><w:t>",
    b'</w:t></w:r><w:r><w:rPr><w:b/><w:rPrChange w:id="1" w:author="A"><w:rPr/></w:rPrChange></w:rPr><w:t>',
]
# What keeps two runs' text apart, as the document shows it.
APART = [b"</w:t><w:tab/><w:t>", b"</w:t></w:r></w:p><w:p><w:r><w:t>", b"</w:t><w:br/><w:t>",
         b'</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:tab/><w:t>',
         b"</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:tab/></w:r><w:r><w:rPr><w:i/></w:rPr><w:t>",
         b'</w:t></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>']


def document(*paragraphs: bytes) -> bytes:
    body = b"".join(b"<w:p><w:r><w:t>" + text + b"</w:t></w:r></w:p>" for text in paragraphs)
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<w:document ' + W +
            b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>' + body +
            b"</w:body></w:document>")


def docx(path: Path, part: bytes, name: str = "word/document.xml") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(name, part)
    return path


def scanned(data: bytes, name: str = "notes.docx: word/document.xml") -> list[tuple[str, str]]:
    return [(t.kind.value, t.id) for t in Scanner().scan(io.BytesIO(data), name)]


def test_a_link_word_split_into_runs_is_read_as_the_document_shows_it(tmp_path: Path) -> None:
    part = document(b"See https://imgur.com/a/AbC12" + BETWEEN[2] + b"34 and imgur.com/user/Some" + BETWEEN[1] +
                    b"Name", b"https://imgur.com/gal" + BETWEEN[4] + b"lery/XyZ9876")
    assert scanned(part) == [("album", "AbC1234"), ("user", "SomeName"), ("gallery", "XyZ9876")]
    assert scanned(part.replace(W, b"", 1)) == [("album", "AbC12"), ("user", "Some")]  # (read as written)
    result = run_main("--scan", str(docx(tmp_path / "notes.docx", part)), "-g")
    assert result.code == 0, result
    assert result.out.splitlines() == ["https://imgur.com/a/AbC1234", "https://imgur.com/user/SomeName",
                                       "https://imgur.com/gallery/XyZ9876"]


def test_what_keeps_two_runs_apart_keeps_them_apart() -> None:
    for apart in APART:  # (and runs with properties after it: none reaches back across it)
        written = document(b"imgur.com/a/AbC12" + apart + b"34", *(b"more" + between + b"text" for between in BETWEEN))
        assert scanned(written) == [("album", "AbC12")], apart


def test_a_field_s_code_split_into_runs_is_read_whole() -> None:
    code = (b'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> HYPERLINK '
            b'"https://imgur.com/a/QwE5</w:instrText></w:r><w:r><w:instrText>678" </w:instrText></w:r>'
            b'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>photos</w:t></w:r>'
            b'<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
    assert scanned(document().replace(b"<w:body>", b"<w:body>" + code)) == [("album", "QwE5678")]


def test_a_slide_s_runs_are_joined_too() -> None:
    slide = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<p:sld ' + A + b' xmlns:p="http://schemas.'
             b'openxmlformats.org/presentationml/2006/main"><p:txBody><a:p><a:r><a:rPr lang="en-US" dirty="0"/>'
             b'<a:t>imgur.com/a/AbC12</a:t></a:r><a:r><a:rPr lang="en-US" err="1"><a:solidFill><a:srgbClr val="FF0000"'
             b'/></a:solidFill></a:rPr><a:t>34</a:t></a:r></a:p><a:p><a:r><a:t>imgur.com/t/cats</a:t></a:r></a:p>'
             b"<a:p><a:r><a:t>and more</a:t></a:r></a:p></p:txBody></p:sld>")
    assert scanned(slide, "talk.pptx: ppt/slides/slide1.xml") == [("album", "AbC1234"), ("tag", "cats")]


_ID = st.text("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", min_size=6, max_size=6).map(
    lambda letters: letters + "7")  # (a digit: no page of Imgur's own, "SUPPoRT")


@settings(max_examples=60, deadline=None)
@given(_ID, st.lists(st.tuples(st.integers(0, 100), st.sampled_from(BETWEEN)), max_size=4),
       st.sampled_from(["https://imgur.com/a/", "imgur.com/gallery/a-b-", "https://i.imgur.com/"]))
def test_a_link_split_anywhere_by_any_runs_markup_names_what_it_names(
        album: str, splits: list[tuple[int, bytes]], start: str) -> None:
    link = (start + album + (".jpg" if "i.imgur" in start else "")).encode()
    cuts = sorted({at % (len(link) + 1) for at, _ in splits})
    pieces = [link[a:b] for a, b in zip([0, *cuts], [*cuts, len(link)], strict=True)]
    written = pieces[0] + b"".join(between + piece for between, piece in
                                   zip([b for _, b in splits], pieces[1:], strict=False))
    kind = "image" if "i.imgur" in start else "album" if "/a/" in start else "gallery"
    assert scanned(document(b"see " + written + b" there")) == [(kind, album)]


def test_a_part_larger_than_is_read_whole_is_read_as_it_is_and_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "MOST", 100)
    scanner = Scanner()
    found = [t.id for t in scanner.scan(io.BytesIO(document(b"imgur.com/a/AbC12" + BETWEEN[0] + b"34")), "x.xml")]
    assert found == ["AbC12"]
    assert scanner.warnings == ["x.xml: a document's text (Word's, PowerPoint's, OpenDocument's), larger than "
                                "imgur-dl reads whole (100 bytes): read as bytes"]


def test_xml_of_another_kind_is_read_as_it_is() -> None:
    feed = b'<?xml version="1.0"?><rss><item><link>https://imgur.com/a/AbC1234</link></item></rss>'
    assert scanned(feed, "feed.xml") == [("album", "AbC1234")]
    assert not office.is_document(feed)


ODF = b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'


def test_a_link_libreoffice_split_into_spans_is_read_as_the_document_shows_it(tmp_path: Path) -> None:
    # (OpenTBS #23: "[" and "onshow.orchestra:treasurer:email]" in two spans.)
    content = (b'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content xmlns:office="urn:oasis:names:tc:'
               b'opendocument:xmlns:office:1.0" ' + ODF + b' office:version="1.3"><office:body><office:text>'
               b'<text:p text:style-name="P1">See <text:span text:style-name="T1">imgur.com/a/AbC12</text:span>'
               b'<text:span text:style-name="T2">34</text:span><text:bookmark text:name="x"/> and imgur.com/user/Some'
               b'<text:soft-page-break/>Name</text:p><text:p>imgur.com/a/XyZ98<text:s/>76<text:tab/>'
               b'<text:a xlink:type="simple" xlink:href="https://imgur.com/t/cats">imgur.com/t/ca<text:span>ts'
               b"</text:span></text:a></text:p></office:text></office:body></office:document-content>")
    expected = [("album", "AbC1234"), ("user", "SomeName"), ("album", "XyZ98"), ("tag", "cats")]
    assert scanned(content, "notes.odt: content.xml") == expected
    assert scanned(content.replace(ODF, b"", 1), "content.xml")[:2] == [("album", "AbC12"), ("user", "Some")]
    with zipfile.ZipFile(tmp_path / "notes.odt", "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
    result = run_main("--scan", str(tmp_path / "notes.odt"), "-g")
    assert result.code == 0, result
    assert result.out.splitlines()[:2] == ["https://imgur.com/a/AbC1234", "https://imgur.com/user/SomeName"]
